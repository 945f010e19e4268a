package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.UpstreamConfig;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;
import org.slf4j.LoggerFactory;

/**
 * Metrics and the access log of a fresh application after known requests: exact counts, the documented
 * labels and fields, and never the prompt or the answer in any log line.
 */
class GatewayObservabilityTest {
    private static final String PROMPT = "my secret prompt 7f3a91";
    private static final String CHAT = "/v1/chat/completions";

    private Vertx vertx;
    private FakeModelServer fake;
    private TestGateway gateway;
    private ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() {
        logs = new ListAppender<>();
        logs.list = new java.util.concurrent.CopyOnWriteArrayList<>(); // appended on event loops, read here
        logs.start();
        root().addAppender(logs);
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        UpstreamConfig withKey = new UpstreamConfig("fake", TestGateway.upstream("fake", fake).url(), null,
                "sk-upstream-key-in-no-log", List.of(), true);
        gateway = TestGateway.start(TestGateway.config(withKey));
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        fake.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        root().detachAppender(logs);
    }

    private static Logger root() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
    }

    private static String promptBody(boolean stream, String... extra) {
        return chatBody("fake-model", stream, extra).replace("Say hello.", PROMPT);
    }

    @Test
    void oneStreamIsCountedExactlyWithTheDocumentedLabels() {
        fake.enqueueChat(Script.transcript("openai.sse"));
        GatewayClient.Stream stream = gateway.client().stream(promptBody(true));
        assertThat(stream.data()).last().isEqualTo("[DONE]");
        assertThat(gateway.client().chat("{\"model\":").statusCode()).isEqualTo(400);

        Map<String, Double> m = gateway.metrics();
        String fakeModel = "fake-model";
        assertThat(TestGateway.metric(m, "neural_pipeline_requests_total", "route", CHAT, "status", "200",
                "model", fakeModel, "upstream", "fake")).isEqualTo(1);
        assertThat(TestGateway.metric(m, "neural_pipeline_requests_total", "route", CHAT, "status", "400",
                "model", "none", "upstream", "none")).isEqualTo(1);
        assertThat(TestGateway.metric(m, "neural_pipeline_request_duration_seconds_count", "route", CHAT)).isEqualTo(2);
        assertThat(TestGateway.metric(m, "neural_pipeline_time_to_first_token_seconds_count", "model", fakeModel,
                "upstream", "fake")).isEqualTo(1);
        // three content chunks: "Hel", "lo", ", wörld 🌍"
        assertThat(TestGateway.metric(m, "neural_pipeline_tokens_streamed_total", "model", fakeModel,
                "upstream", "fake")).isEqualTo(3);
        assertThat(TestGateway.metric(m, "neural_pipeline_inter_token_latency_seconds_count", "model", fakeModel,
                "upstream", "fake")).isEqualTo(2);
        // the stream's overhead and the rejected request's (all of whose time is the gateway's)
        assertThat(TestGateway.metric(m, "neural_pipeline_gateway_overhead_seconds_count", "route", CHAT)).isEqualTo(2);
        assertThat(TestGateway.metric(m, "neural_pipeline_gateway_overhead_seconds_sum", "route", CHAT)).isPositive();
        assertThat(TestGateway.metric(m, "neural_pipeline_active_streams")).isZero();
        assertThat(gateway.metrics("neural_pipeline_upstream_errors_total")).isEmpty();
        assertThat(gateway.metrics("neural_pipeline_requests_total")).hasSize(2);
    }

    @Test
    void accessLogHasOneLinePerRequestWithTheDocumentedFieldsAndNoPromptText() {
        fake.enqueueChat(Script.transcript("openai.sse"));
        GatewayClient.Stream stream = gateway.client().stream(promptBody(true), "X-Request-ID", "log-1");
        assertThat(stream.data()).last().isEqualTo("[DONE]");
        fake.enqueueChat(Script.transcript("openai.sse"));
        assertThat(gateway.client().chat(promptBody(false), "X-Request-ID", "log-2").statusCode()).isEqualTo(200);
        assertThat(gateway.client().chat(promptBody(true, "\"temperature\":9"), "X-Request-ID", "log-3").statusCode())
                .isEqualTo(400);
        assertThat(gateway.client().get("/v1/models", "X-Request-ID", "log-4").statusCode()).isEqualTo(200);

        TestGateway.await(Duration.ofSeconds(5), () -> access().size() >= 4, () -> access().toString());
        List<ILoggingEvent> access = access();
        assertThat(access).hasSize(4);
        assertThat(access.get(0).getMDCPropertyMap()).containsEntry("request_id", "log-1");
        assertThat(access.get(0).getFormattedMessage()).matches("method=POST path=/v1/chat/completions status=200 "
                + "model=fake-model upstream=fake stream=true ttft_ms=[0-9.]+ tokens=3 duration_ms=[0-9.]+ "
                + "overhead_ms=[0-9.]+ finish_reason=stop error=null");
        assertThat(access.get(1).getMDCPropertyMap()).containsEntry("request_id", "log-2");
        assertThat(access.get(1).getFormattedMessage()).contains("status=200", "stream=false", "tokens=3",
                "finish_reason=stop");
        assertThat(access.get(2).getMDCPropertyMap()).containsEntry("request_id", "log-3");
        assertThat(access.get(2).getFormattedMessage()).contains("status=400", "model=none",
                "error=invalid_value");
        assertThat(access.get(3).getFormattedMessage()).contains("method=GET path=/v1/models status=200");

        for (ILoggingEvent event : logs.list) {
            String line = event.getFormattedMessage() + " " + event.getMDCPropertyMap();
            assertThat(line).as("no prompt, answer or key in the logs")
                    .doesNotContain(PROMPT).doesNotContain("wörld").doesNotContain("sk-upstream-key-in-no-log");
        }
    }

    private List<ILoggingEvent> access() {
        return logs.list.stream().filter(e -> e.getLoggerName().equals("access")).toList();
    }
}
