package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * Two fake servers serve the same model, {@code first} before {@code second}. Before the first token a
 * failing upstream is replaced and the client sees one clean stream; after it, never.
 */
class GatewayFailoverTest {
    private static final String MODEL = "shared-model";

    private static Vertx vertx;
    private static FakeModelServer first;
    private static FakeModelServer second;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        first = FakeModelServer.start(vertx).models(MODEL);
        second = FakeModelServer.start(vertx).models(MODEL);
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("first", first),
                TestGateway.upstream("second", second)).withTimeouts(TestGateway.timeouts(Duration.ofSeconds(1),
                        Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(10))));
    }

    @AfterEach
    void heal() {
        first.fault(null);
        second.fault(null);
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        first.close();
        second.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The stream is exactly what the second server's openai.sse gives, with no trace of the first. */
    private static void assertCleanStreamFromSecond(GatewayClient.Stream stream) {
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("x-upstream")).isEqualTo("second");
        List<JsonNode> chunks = stream.chunks();
        assertThat(stream.data()).last().isEqualTo("[DONE]");
        assertThat(stream.data()).noneMatch(d -> d.contains("\"error\""));
        assertThat(chunks).allMatch(c -> c.path("id").asText().equals("chatcmpl-B9xq1"));
        assertThat(chunks).filteredOn(c -> c.path("choices").get(0).path("delta").has("role")).hasSize(1);
        StringBuilder content = new StringBuilder();
        chunks.forEach(c -> content.append(c.path("choices").get(0).path("delta").path("content").asText("")));
        assertThat(content.toString()).isEqualTo("Hello, wörld 🌍");
    }

    @Test
    void failsOverWhenTheFirstUpstreamRefuses() {
        first.fault(FaultMode.REFUSE);
        double refused = gateway.metric("neural_pipeline_upstream_errors_total", "upstream", "first", "kind", "refused");

        assertCleanStreamFromSecond(gateway.client().stream(chatBody(MODEL, true)));
        assertThat(gateway.metric("neural_pipeline_upstream_errors_total", "upstream", "first", "kind", "refused"))
                .isEqualTo(refused + 1);
    }

    @Test
    void failsOverWhenTheFirstUpstreamAnswers500() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_500));
        assertCleanStreamFromSecond(gateway.client().stream(chatBody(MODEL, true)));
        assertThat(first.requests(FakeModelServer.CHAT)).isNotEmpty();
    }

    @Test
    void failsOverWhenTheFirstUpstreamMissesTheFirstTokenDeadline() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        int before = first.requests(FakeModelServer.CHAT).size();

        assertCleanStreamFromSecond(gateway.client().stream(chatBody(MODEL, true)));
        // the abandoned request is cancelled, not left generating
        first.requests(FakeModelServer.CHAT).get(before).awaitConnectionClosed(Duration.ofSeconds(5));
    }

    @Test
    void failsOverWhenTheFirstUpstreamDiesAfterItsRoleChunkOnly() {
        first.enqueueChat(Script.sse().event("{\"id\":\"chatcmpl-first\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"finish_reason\":null}]}").fault(FaultMode.DISCONNECT_MID_STREAM));
        assertCleanStreamFromSecond(gateway.client().stream(chatBody(MODEL, true)));
    }

    /** Regression: the stream kept the id of the upstream that failed (its error event set the id). */
    @Test
    void failsOverWhenTheFirstUpstreamReportsAnErrorBeforeAnyToken() {
        first.enqueueChat(Script.sse().event("{\"id\":\"chatcmpl-first\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"finish_reason\":null}]}")
                .event("{\"error\":{\"message\":\"Loading model\",\"type\":\"unavailable_error\",\"code\":503}}"));
        assertCleanStreamFromSecond(gateway.client().stream(chatBody(MODEL, true)));
    }

    @Test
    void doesNotFailOverAfterTheFirstToken() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.DISCONNECT_MID_STREAM));
        int secondBefore = second.requests(FakeModelServer.CHAT).size();

        GatewayClient.Stream stream = gateway.client().stream(chatBody(MODEL, true));

        assertThat(stream.header("x-upstream")).isEqualTo("first");
        List<String> data = stream.data();
        assertThat(data.get(data.size() - 2)).contains("\"content\":\"Hel\"");
        assertThat(GatewayClient.json(data.getLast()).path("error").path("code").asText())
                .isEqualTo("upstream_protocol_error");
        assertThat(data).doesNotContain("[DONE]");
        assertThat(second.requests(FakeModelServer.CHAT)).hasSize(secondBefore);
    }

    @Test
    void doesNotFailOverWhenTheUpstreamRejectsTheRequestItself() {
        first.enqueueChat(Script.json(400, "{\"error\":{\"message\":\"Invalid 'tools': empty array\","
                + "\"type\":\"invalid_request_error\",\"param\":\"tools\",\"code\":null}}"));
        int secondBefore = second.requests(FakeModelServer.CHAT).size();

        HttpResponse<String> response = gateway.client().chat(chatBody(MODEL, true));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(GatewayClient.json(response.body()).path("error").path("message").asText())
                .contains("Invalid 'tools': empty array");
        assertThat(second.requests(FakeModelServer.CHAT)).hasSize(secondBefore);
    }

    @Test
    void whenEveryUpstreamFailsTheClientGetsTheLastFailuresStatus() {
        first.fault(FaultMode.REFUSE);
        second.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_429_WITH_RETRY_AFTER));

        HttpResponse<String> response = gateway.client().chat(chatBody(MODEL, true));

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("7");
        assertThat(response.headers().firstValue("x-upstream")).hasValue("second");
    }

    /** Keep-alives every 200 ms commit the headers long before the first upstream's 1 s deadline passes. */
    private static TestGateway keptAlive() {
        return TestGateway.start(TestGateway.config(TestGateway.upstream("first", first),
                TestGateway.upstream("second", second)).withTimeouts(TestGateway.timeouts(Duration.ofSeconds(1),
                        Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofMillis(200))));
    }

    @Test
    void failsOverAfterKeepAlivesCommittedTheHeadersAsLongAsNoTokenWasSent() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        try (TestGateway alive = keptAlive()) {
            GatewayClient.Stream stream = alive.client().stream(chatBody(MODEL, true));
            assertThat(stream.text()).startsWith(": keep-alive\n\n");
            assertThat(stream.text().lines().filter(l -> l.startsWith(":"))).allMatch(": keep-alive"::equals);
            // headers went out before anyone answered: they name the upstream that was awaited then (docs/API.md)
            assertThat(stream.header("x-upstream")).isEqualTo("first");
            List<JsonNode> chunks = stream.chunks();
            assertThat(chunks).allMatch(c -> c.path("id").asText().equals("chatcmpl-B9xq1"));
            assertThat(stream.data()).last().isEqualTo("[DONE]");
            assertThat(stream.data()).noneMatch(d -> d.contains("\"error\""));
        }
    }

    @Test
    void whenEveryUpstreamFailsAfterKeepAlivesTheStreamEndsWithOneErrorEvent() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        second.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        try (TestGateway alive = keptAlive()) {
            GatewayClient.Stream stream = alive.client().stream(chatBody(MODEL, true));
            assertThat(stream.status()).isEqualTo(200);
            List<String> data = stream.data();
            assertThat(data).hasSize(1);
            GatewayErrorsTest.assertErrorShape(GatewayClient.json(data.getFirst()), "upstream_error", "upstream_timeout");
            assertThat(stream.text()).startsWith(": keep-alive\n\n").endsWith("\n\n");
        }
    }

    @Test
    void nonStreamingRequestsFailOverToo() {
        first.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_500));
        HttpResponse<String> response = gateway.client().chat(chatBody(MODEL, false));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-upstream")).hasValue("second");
        assertThat(GatewayClient.json(response.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("Hello, wörld 🌍");
    }
}
