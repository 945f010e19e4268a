package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralpipeline.config.TimeoutsConfig;
import org.neuralpipeline.config.UpstreamConfig;
import org.neuralpipeline.testing.BlackHole;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * Failures through the real service: after the first token one {@code data: {"error":…}} event and the end
 * (checklist 18, 19); before it the upstream's real HTTP status in OpenAI's error shape (checklist 17);
 * deadlines (checklist 21); request validation.
 */
class GatewayErrorsTest {
    private static Vertx vertx;
    private static FakeModelServer fake;
    private static FakeModelServer down;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        down = FakeModelServer.start(vertx).models("down-model");
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake),
                TestGateway.upstream("down", down)));
        down.fault(FaultMode.REFUSE); // listed its model at start-up, refuses connections from now on
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        fake.close();
        down.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A transcript cut before its finish chunk: content, then a clean end of the response. */
    private static Script cutBeforeFinish() {
        Script cut = Script.sse();
        for (String line : Script.transcript("openai.sse").text().split("\n")) {
            if (line.startsWith("data: {") && !line.contains("finish_reason\":\"stop") && !line.contains("\"choices\":[]")) {
                cut.write(line + "\n\n");
            }
        }
        return cut.fault(FaultMode.NO_DONE);
    }

    static Stream<Arguments> failuresAfterTheFirstToken() {
        return Stream.of(
                Arguments.of("disconnect", Script.transcript("openai.sse").fault(FaultMode.DISCONNECT_MID_STREAM),
                        "upstream_protocol_error", "protocol"),
                Arguments.of("malformed", Script.transcript("openai.sse").fault(FaultMode.MALFORMED_CHUNK),
                        "upstream_protocol_error", "protocol"),
                Arguments.of("llamacpp-error", Script.transcript("llamacpp-error.sse"), "upstream_error", "stream_error"),
                Arguments.of("vllm-error", Script.transcript("vllm-error.sse"), "upstream_error", "stream_error"),
                Arguments.of("llamacpp-legacy-error", Script.transcript("llamacpp-legacy-error.sse"), "upstream_error",
                        "stream_error"),
                Arguments.of("eof-without-finish", cutBeforeFinish(), "upstream_truncated", "truncated"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failuresAfterTheFirstToken")
    void aFailureAfterTheFirstTokenIsOneErrorEventThenTheEnd(String name, Script script, String code, String kind) {
        double errorsBefore = gateway.metric("neural_pipeline_upstream_errors_total", "upstream", "fake", "kind", kind);
        fake.enqueueChat(script);

        GatewayClient.Stream stream = gateway.client().stream(chatBody("fake-model", true));

        assertThat(stream.status()).isEqualTo(200);
        List<String> data = stream.data();
        assertThat(data).doesNotContain("[DONE]");
        assertThat(data).filteredOn(d -> d.contains("\"error\"")).hasSize(1);
        JsonNode last = GatewayClient.json(data.getLast());
        assertThat(last.fieldNames()).toIterable().containsExactly("error");
        assertErrorShape(last, "upstream_error", code);
        assertThat(last.path("error").path("message").asText()).startsWith("upstream 'fake'");
        assertThat(data.subList(0, data.size() - 1)).as("tokens came first").anyMatch(d -> d.contains("\"content\":\"H")
                || d.contains("\"content\":\"Once upon") || d.contains("\"content\":\"Sure"));
        assertThat(stream.text()).as("never a made-up stop").doesNotContain("\"finish_reason\":\"stop\"")
                .endsWith("\n\n");
        TestGateway.await(Duration.ofSeconds(5), () -> gateway.metric("neural_pipeline_upstream_errors_total",
                "upstream", "fake", "kind", kind) == errorsBefore + 1, () -> gateway.metrics("neural_pipeline_upstream").toString());
    }

    @Test
    void anUpstreamErrorMessageReachesTheClientWithoutRepeatingTheUpstreamName() {
        fake.enqueueChat(Script.transcript("llamacpp-error.sse"));
        List<String> data = gateway.client().stream(chatBody("fake-model", true)).data();
        String message = GatewayClient.json(data.getLast()).path("error").path("message").asText();
        assertThat(message).contains("Context size has been exceeded.");
        assertThat(message.split("upstream 'fake'", -1)).as(message).hasSize(2);
    }

    @Test
    void http500BeforeTheFirstTokenIs502() {
        fake.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_500));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", true));
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-upstream")).hasValue("fake");
        JsonNode body = GatewayClient.json(response.body());
        assertErrorShape(body, "upstream_error", "upstream_error");
        assertThat(body.path("error").path("message").asText()).contains("Internal server error (scripted fault)");
    }

    @Test
    void http429BeforeTheFirstTokenIs429WithTheUpstreamsRetryAfter() {
        fake.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_429_WITH_RETRY_AFTER));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", true));
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("7");
        assertErrorShape(GatewayClient.json(response.body()), "rate_limit_error", "rate_limit_exceeded");
    }

    @Test
    void aRefusedConnectionIs502UpstreamUnreachable() {
        HttpResponse<String> response = gateway.client().chat(chatBody("down-model", true));
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("x-upstream")).hasValue("down");
        assertErrorShape(GatewayClient.json(response.body()), "upstream_error", "upstream_unreachable");
    }

    @Test
    void anUpstream400IsPassedOnWithTheUpstreamsMessage() {
        fake.enqueueChat(Script.json(400, "{\"error\":{\"message\":\"This model's maximum context length is 4096 "
                + "tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}"));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", true));
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = GatewayClient.json(response.body());
        assertErrorShape(body, "invalid_request_error", "upstream_rejected");
        assertThat(body.path("error").path("message").asText()).contains("This model's maximum context length is 4096 tokens.");
    }

    @Test
    void anUpstreamAnsweringWithAnotherContentTypeIs502ProtocolError() {
        fake.enqueueChat(Script.of(200, "text/html").write("<html>proxy login</html>"));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", true));
        assertThat(response.statusCode()).isEqualTo(502);
        assertErrorShape(GatewayClient.json(response.body()), "upstream_error", "upstream_protocol_error");
        assertThat(GatewayClient.json(response.body()).path("error").path("message").asText()).contains("text/html");
    }

    @Test
    void anUpstreamErrorBeforeAnyTokenInsideA200StreamGetsAnHttpStatus() {
        fake.enqueueChat(Script.sse().event("{\"error\":{\"message\":\"Loading model\",\"type\":\"unavailable_error\","
                + "\"code\":503}}"));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", true));
        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode body = GatewayClient.json(response.body());
        assertErrorShape(body, "upstream_error", "upstream_error");
        assertThat(body.path("error").path("message").asText()).contains("Loading model");
    }

    // ---- validation ----

    @Test
    void malformedJsonIs400InvalidJson() {
        HttpResponse<String> response = gateway.client().chat("{\"model\": \"fake-model\", ");
        assertThat(response.statusCode()).isEqualTo(400);
        assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error", "invalid_json");
    }

    @Test
    void schemaViolationsAre400NamingTheField() {
        HttpResponse<String> role = gateway.client().chat("{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"},{\"role\":\"robot\",\"content\":\"x\"}]}");
        assertThat(role.statusCode()).isEqualTo(400);
        JsonNode error = GatewayClient.json(role.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("messages[1].role");
        assertThat(error.path("code").asText()).isEqualTo("invalid_value");

        HttpResponse<String> temperature = gateway.client().chat(chatBody("fake-model", false, "\"temperature\":3"));
        assertThat(temperature.statusCode()).isEqualTo(400);
        assertThat(GatewayClient.json(temperature.body()).path("error").path("param").asText()).isEqualTo("temperature");

        HttpResponse<String> messages = gateway.client().chat("{\"model\":\"fake-model\"}");
        assertThat(messages.statusCode()).isEqualTo(400);
        assertErrorShape(GatewayClient.json(messages.body()), "invalid_request_error", "missing_required_parameter");
        assertThat(GatewayClient.json(messages.body()).path("error").path("param").asText()).isEqualTo("messages");
        assertThat(fake.requests(FakeModelServer.CHAT)).as("nothing invalid reaches an upstream")
                .noneMatch(r -> r.bodyText().contains("robot") || r.bodyText().contains("\"temperature\":3"));
    }

    @Test
    void anUnknownModelIs404ListingTheAvailableModels() {
        HttpResponse<String> response = gateway.client().chat(chatBody("no-such-model", true));
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode body = GatewayClient.json(response.body());
        assertErrorShape(body, "invalid_request_error", "model_not_found");
        assertThat(body.path("error").path("param").asText()).isEqualTo("model");
        assertThat(body.path("error").path("message").asText()).contains("no-such-model", "builtin", "fake-model",
                "down-model");
    }

    @Test
    void anUnknownPathIs404InOpenAiShape() {
        HttpResponse<String> response = gateway.client().post("/v1/responses", "{}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error", "not_found");
    }

    static void assertErrorShape(JsonNode body, String type, String code) {
        JsonNode error = body.path("error");
        assertThat(error.fieldNames()).toIterable().containsExactly("message", "type", "param", "code");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.path("type").asText()).isEqualTo(type);
        assertThat(error.path("code").asText()).isEqualTo(code);
    }

    /** An upstream whose TCP connect hangs: the connect deadline (300 ms here), not the first-token one, ends it. */
    @Test
    void anUpstreamThatNeverAcceptsTheConnectionIs504AfterTheConnectDeadline() throws Exception {
        try (BlackHole hole = new BlackHole()) {
            UpstreamConfig unreachable = new UpstreamConfig("hole", URI.create(hole.baseUrl() + "/v1"), null, null,
                    List.of("hole-model"), true);
            TestGateway gateway = TestGateway.start(TestGateway.config(unreachable).withTimeouts(new TimeoutsConfig(
                    Duration.ofMillis(300), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(20),
                    Duration.ofSeconds(10))));
            try {
                long start = System.nanoTime();
                HttpResponse<String> response = gateway.client().chat(chatBody("hole-model", true));
                long millis = (System.nanoTime() - start) / 1_000_000;

                assertThat(response.statusCode()).isEqualTo(504);
                JsonNode error = GatewayClient.json(response.body());
                assertErrorShape(error, "upstream_error", "upstream_timeout");
                assertThat(error.path("error").path("message").asText()).contains("hole").contains("timed out");
                assertThat(millis).as("ended by the 300 ms connect deadline, not the 10 s first-token one")
                        .isGreaterThanOrEqualTo(300).isLessThan(5_000);
                assertThat(gateway.metric("neural_pipeline_upstream_errors_total", "upstream", "hole", "kind",
                        "timeout")).isGreaterThanOrEqualTo(1);
            } finally {
                gateway.close();
            }
        }
    }

    /** Deadlines short enough to test: first token 1 s, idle 500 ms, total 1.5 s; keep-alives out of the way. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Deadlines {
        private FakeModelServer slow;
        private TestGateway strict;

        @BeforeAll
        void start() {
            slow = FakeModelServer.start(vertx);
            strict = TestGateway.start(TestGateway.config(TestGateway.upstream("slow", slow)).withTimeouts(
                    TestGateway.timeouts(Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofMillis(1500),
                            Duration.ofSeconds(10))));
        }

        @AfterAll
        void stop() {
            strict.close();
            slow.close();
        }

        @Test
        void noHeadersBeforeTheFirstTokenDeadlineIs504() {
            slow.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
            HttpResponse<String> response = strict.client().chat(chatBody("fake-model", true));
            assertThat(response.statusCode()).isEqualTo(504);
            assertErrorShape(GatewayClient.json(response.body()), "upstream_error", "upstream_timeout");
            assertThat(strict.metric("neural_pipeline_upstream_errors_total", "upstream", "slow", "kind", "timeout"))
                    .isGreaterThanOrEqualTo(1);
        }

        @Test
        void silenceAfterTheFirstTokenEndsTheStreamWithATimeoutEvent() {
            slow.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_AFTER_FIRST_TOKEN));
            GatewayClient.Stream stream = strict.client().stream(chatBody("fake-model", true));
            List<String> data = stream.data();
            assertThat(data).noneMatch("[DONE]"::equals);
            assertThat(data.get(data.size() - 2)).contains("\"content\":\"Hel\"");
            JsonNode error = GatewayClient.json(data.getLast());
            assertErrorShape(error, "upstream_error", "upstream_timeout");
            assertThat(error.path("error").path("message").asText()).contains("idle");
        }

        /**
         * The idle deadline counts from the last token, not from when its timer was first set: tokens 200 ms
         * apart outlast the 500 ms idle window twice over without tripping it, and the silence after them
         * ends the stream 500 ms after the last one (well before the total deadline).
         */
        @Test
        void theIdleDeadlineRunsFromTheLastTokenWhileTokensKeepComing() {
            String head = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                    + "[{\"index\":0,\"delta\":{\"content\":\"tick \"},\"finish_reason\":null}]}";
            Script paced = Script.sse();
            for (int i = 0; i < 4; i++) {
                paced.event(head).pause(Duration.ofMillis(200)); // 600 ms of tokens, never 500 ms apart
            }
            slow.enqueueChat(paced.pause(Duration.ofSeconds(5))); // then silence, the connection open
            GatewayClient.Stream stream = strict.client().stream(chatBody("fake-model", true));
            long lastToken = 0;
            int tokens = 0;
            GatewayClient.Line line;
            while (!(line = stream.nextLine()).text().contains("error")) {
                if (line.text().contains("\"content\":\"tick \"")) {
                    tokens++;
                    lastToken = line.nanos();
                }
            }
            assertThat(tokens).isEqualTo(4);
            assertThat(line.text()).contains("idle");
            // never early (the window restarts at each token), and not much late: the timer re-arms for what is left
            assertThat(Duration.ofNanos(line.nanos() - lastToken)).isBetween(Duration.ofMillis(480),
                    Duration.ofMillis(800));
        }

        @Test
        void aStreamStillRunningAtTheTotalDeadlineEndsWithATimeoutEvent() {
            String head = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                    + "[{\"index\":0,\"delta\":{\"content\":\"tick \"},\"finish_reason\":null}]}";
            Script endless = Script.sse();
            for (int i = 0; i < 40; i++) {
                endless.event(head).pause(Duration.ofMillis(100)); // never idle for long, never finished
            }
            slow.enqueueChat(endless);
            GatewayClient.Stream stream = strict.client().stream(chatBody("fake-model", true));
            List<String> data = stream.data();
            assertThat(data).hasSizeGreaterThan(3).noneMatch("[DONE]"::equals);
            JsonNode error = GatewayClient.json(data.getLast());
            assertErrorShape(error, "upstream_error", "upstream_timeout");
            assertThat(error.path("error").path("message").asText()).contains("total");
        }
    }
}
