package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.RecordedRequest;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * A client that goes away cancels the upstream request within a bounded time and leaves no metric behind
 * (checklist 20), both mid-stream and before the first byte. Each test has a fresh application, so the
 * metric values are exact.
 */
class GatewayCancellationTest {
    private static final Duration BOUND = Duration.ofSeconds(5);

    private Vertx vertx;
    private FakeModelServer fake;
    private TestGateway gateway;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake)));
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        fake.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void clientDisconnectMidStreamCancelsTheUpstreamAndIsCounted499() throws IOException {
        // one token, then a long silence in which the client leaves
        Script slow = Script.sse()
                .event("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"first\"},\"finish_reason\":null}]}")
                .pause(Duration.ofSeconds(30))
                .event("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")
                .done();
        fake.enqueueChat(slow);

        Socket client = gateway.client().socket("/v1/chat/completions", chatBody("fake-model", true));
        GatewayClient.readUntil(client, "\"content\":\"first\"");
        assertThat(gateway.metric("neural_pipeline_active_streams")).isEqualTo(1);
        RecordedRequest upstream = lastChatRequest();
        client.close();

        upstream.awaitConnectionClosed(BOUND);
        assertGone();
    }

    @Test
    void clientDisconnectBeforeTheFirstByteCancelsTheUpstreamAndIsCounted499() throws IOException {
        fake.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));

        Socket client = gateway.client().socket("/v1/chat/completions", chatBody("fake-model", true));
        RecordedRequest upstream = fake.takeRequest(); // the gateway is waiting for the upstream's headers
        while (!upstream.path().equals(FakeModelServer.CHAT)) { // skip the catalogue's GET /v1/models
            upstream = fake.takeRequest();
        }
        client.close();

        upstream.awaitConnectionClosed(BOUND);
        assertGone();
    }

    /** Regression: a pass-through stream kept the upstream generating after its client had gone. */
    @Test
    void clientDisconnectDuringAPassedThroughStreamCancelsTheUpstreamAndIsCounted499() throws IOException {
        fake.enqueue(FakeModelServer.COMPLETIONS, Script.sse()
                .event("{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"Hello\"}]}")
                .pause(Duration.ofSeconds(30))
                .done());

        Socket client = gateway.client().socket("/v1/completions", "{\"model\":\"fake-model\",\"prompt\":\"x\","
                + "\"stream\":true}");
        GatewayClient.readUntil(client, "\"text\":\"Hello\"");
        RecordedRequest upstream = fake.requests(FakeModelServer.COMPLETIONS).getLast();
        client.close();

        upstream.awaitConnectionClosed(BOUND);
        TestGateway.await(BOUND, () -> gateway.metric("neural_pipeline_requests_total", "route", "/v1/completions",
                "status", "499", "model", "fake-model", "upstream", "fake") == 1,
                () -> gateway.metrics("neural_pipeline_requests").toString());
    }

    private RecordedRequest lastChatRequest() {
        return fake.requests(FakeModelServer.CHAT).getLast();
    }

    private void assertGone() {
        TestGateway.await(BOUND, () -> gateway.metric("neural_pipeline_requests_total", "route", "/v1/chat/completions",
                "status", "499", "model", "fake-model", "upstream", "fake") == 1,
                () -> gateway.metrics("neural_pipeline_requests").toString());
        assertThat(gateway.metric("neural_pipeline_active_streams")).isZero();
        assertThat(gateway.metrics("neural_pipeline_requests_total")).as("nothing else was counted").hasSize(1);
    }
}
