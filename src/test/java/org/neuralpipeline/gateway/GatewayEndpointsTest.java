package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BuiltinConfig;
import org.neuralpipeline.config.UpstreamConfig;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.Ports;
import org.neuralpipeline.testing.RecordedRequest;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * Non-streaming chat completions (aggregated from the upstream's stream), {@code /v1/models}, the
 * pass-through endpoints and health, through the real service with two fake upstreams.
 */
class GatewayEndpointsTest {
    private static Vertx vertx;
    private static FakeModelServer alpha;
    private static FakeModelServer beta;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        alpha = FakeModelServer.start(vertx).models("fake-model", "shared-model");
        beta = FakeModelServer.start(vertx).models("shared-model", "beta-model");
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("alpha", alpha),
                TestGateway.upstream("beta", beta)));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        alpha.close();
        beta.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode completion(String transcript, String... extra) {
        alpha.enqueueChat(Script.transcript(transcript));
        HttpResponse<String> response = gateway.client().chat(chatBody("fake-model", false, extra));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-upstream")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-gateway-overhead-ms").orElseThrow()).matches("\\d+(\\.\\d+)?");
        JsonNode body = GatewayClient.json(response.body());
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("model").asText()).isEqualTo("fake-model");
        return body;
    }

    @Test
    void nonStreamingAggregatesContentFinishReasonAndUsage() {
        JsonNode body = completion("openai.sse");
        assertThat(body.path("id").asText()).isEqualTo("chatcmpl-B9xq1");
        assertThat(body.path("created").asLong()).isEqualTo(1751200000L);
        JsonNode choice = body.path("choices").get(0);
        assertThat(body.path("choices")).hasSize(1);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("Hello, wörld 🌍");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(choice.path("logprobs").isNull()).isTrue();
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(9);
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(4);
        assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(13);
        // the gateway asks the upstream for a stream whatever the client asked
        RecordedRequest upstream = alpha.requests(FakeModelServer.CHAT).getLast();
        assertThat(upstream.bodyJson().path("stream").booleanValue()).isTrue();
    }

    @Test
    void nonStreamingAggregatesToolCalls() {
        JsonNode message = completion("openai-tools.sse").path("choices").get(0).path("message");
        assertThat(message.path("content").isNull()).isTrue();
        JsonNode calls = message.path("tool_calls");
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).toString()).isEqualTo("{\"id\":\"call_A1b2C3\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}");
        assertThat(calls.get(1).path("function").path("arguments").asText()).isEqualTo("{\"tz\": \"CET\"}");
        assertThat(completion("openai-tools.sse").path("choices").get(0).path("finish_reason").asText())
                .isEqualTo("tool_calls");
    }

    @Test
    void nonStreamingAggregatesLogprobsAndReasoning() {
        JsonNode choice = completion("vllm-logprobs.sse", "\"logprobs\":true", "\"top_logprobs\":2").path("choices").get(0);
        JsonNode content = choice.path("logprobs").path("content");
        assertThat(content).hasSize(2);
        assertThat(content.get(0).path("token").asText()).isEqualTo("Hi");
        assertThat(content.get(0).path("logprob").asDouble()).isEqualTo(-0.0009);
        assertThat(content.get(1).path("top_logprobs")).hasSize(2);
        assertThat(choice.path("logprobs").path("refusal").isNull()).isTrue();

        JsonNode message = completion("vllm.sse").path("choices").get(0).path("message");
        assertThat(message.path("reasoning_content").asText()).isEqualTo("The user wants a haiku.");
        assertThat(message.path("content").asText()).isEqualTo("Autumn moon");
    }

    @Test
    void nonStreamingTwoChoices() {
        JsonNode choices = completion("openai-n2.sse", "\"n\":2").path("choices");
        assertThat(choices).hasSize(2);
        assertThat(choices.get(0).path("message").path("content").asText()).isEqualTo("A longer");
        assertThat(choices.get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(choices.get(1).path("message").path("content").asText()).isEqualTo("B");
        assertThat(choices.get(1).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void nonStreamingFailuresAreHttpStatusesEvenAfterTheFirstToken() {
        alpha.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.DISCONNECT_MID_STREAM));
        HttpResponse<String> midway = gateway.client().chat(chatBody("fake-model", false));
        assertThat(midway.statusCode()).isEqualTo(502);
        GatewayErrorsTest.assertErrorShape(GatewayClient.json(midway.body()), "upstream_error", "upstream_protocol_error");

        alpha.enqueueChat(Script.transcript("vllm-error.sse"));
        HttpResponse<String> reported = gateway.client().chat(chatBody("fake-model", false));
        assertThat(reported.statusCode()).isEqualTo(502);
        assertThat(GatewayClient.json(reported.body()).path("error").path("message").asText())
                .contains("The engine is dead");
    }

    @Test
    void everyV1ResponseCarriesTheGatewayOverhead() {
        List<HttpResponse<String>> responses = List.of(
                gateway.client().get("/v1/models"),
                gateway.client().post("/v1/embeddings", "{\"model\":\"shared-model\",\"input\":\"x\"}"),
                gateway.client().post("/v1/embeddings", "{\"model\":\"builtin\",\"input\":\"x\"}"),
                gateway.client().post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"x\"}"),
                gateway.client().chat("not json"),
                gateway.client().chat(chatBody("fake-model", false)));
        for (HttpResponse<String> r : responses) {
            assertThat(r.headers().firstValue("x-gateway-overhead-ms")).as(r.uri() + " " + r.statusCode())
                    .hasValueSatisfying(v -> assertThat(v).matches("\\d+\\.\\d{3}"));
        }
    }

    @Test
    void modelsListsTheUnionOfEveryUpstreamWithItsUpstreams() {
        HttpResponse<String> response = gateway.client().get("/v1/models");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = GatewayClient.json(response.body());
        assertThat(body.path("object").asText()).isEqualTo("list");
        Map<String, List<String>> served = new TreeMap<>();
        for (JsonNode model : body.path("data")) {
            assertThat(model.path("object").asText()).isEqualTo("model");
            assertThat(model.has("created")).isTrue();
            assertThat(model.path("owned_by").asText()).isEqualTo(model.path("upstreams").get(0).asText());
            List<String> upstreams = new ArrayList<>();
            model.path("upstreams").forEach(u -> upstreams.add(u.asText()));
            served.put(model.path("id").asText(), upstreams);
        }
        assertThat(served).isEqualTo(Map.of("builtin", List.of("builtin"), "fake-model", List.of("alpha"),
                "shared-model", List.of("alpha", "beta"), "beta-model", List.of("beta")));
    }

    @Test
    void completionsArePassedThroughToTheModelsUpstream() {
        HttpResponse<String> response = gateway.client().post("/v1/completions",
                "{\"model\":\"beta-model\",\"prompt\":\"Say\",\"max_tokens\":2}", "X-Request-ID", "cmpl-1");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-upstream")).hasValue("beta");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("cmpl-1");
        assertThat(GatewayClient.json(response.body()).path("choices").get(0).path("text").asText())
                .isEqualTo("Hello world");
        RecordedRequest upstream = beta.requests(FakeModelServer.COMPLETIONS).getLast();
        assertThat(upstream.bodyText()).isEqualTo("{\"model\":\"beta-model\",\"prompt\":\"Say\",\"max_tokens\":2}");
        assertThat(upstream.header("X-Request-ID")).isEqualTo("cmpl-1");
    }

    @Test
    void streamedCompletionsArePassedThroughAsTheyCome() {
        GatewayClient.Stream stream = gateway.client().open("/v1/completions",
                "{\"model\":\"fake-model\",\"prompt\":\"Say\",\"stream\":true}");
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("content-type")).startsWith("text/event-stream");
        assertThat(stream.header("cache-control")).isEqualTo("no-cache");
        assertThat(stream.header("x-accel-buffering")).isEqualTo("no");
        assertThat(stream.header("content-length")).isNull();
        assertThat(stream.header("x-upstream")).isEqualTo("alpha");
        List<String> data = stream.data();
        assertThat(data).hasSize(4).last().isEqualTo("[DONE]");
        assertThat(GatewayClient.json(data.get(1)).path("choices").get(0).path("text").asText()).isEqualTo(" world");
    }

    @Test
    void embeddingsArePassedThrough() {
        HttpResponse<String> response = gateway.client().post("/v1/embeddings",
                "{\"model\":\"shared-model\",\"input\":\"hello\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-upstream")).hasValue("alpha");
        assertThat(GatewayClient.json(response.body()).path("data").get(0).path("embedding").toString())
                .isEqualTo("[0.125,-0.5,0.25]");
    }

    @Test
    void embeddingsOnTheBuiltinModelAre400UnsupportedByUpstream() {
        HttpResponse<String> response = gateway.client().post("/v1/embeddings", "{\"model\":\"builtin\",\"input\":\"x\"}");
        assertThat(response.statusCode()).isEqualTo(400);
        GatewayErrorsTest.assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error",
                "unsupported_by_upstream");
    }

    @Test
    void passThroughOfAnUnknownModelIs404() {
        HttpResponse<String> response = gateway.client().post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"x\"}");
        assertThat(response.statusCode()).isEqualTo(404);
        GatewayErrorsTest.assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error",
                "model_not_found");
    }

    @Test
    void healthIsReadyAndUpWithEveryUpstreamReachable() {
        HttpResponse<String> ready = gateway.client().get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"READY\"}");
        HttpResponse<String> detail = gateway.client().get("/health");
        assertThat(detail.statusCode()).isEqualTo(200);
        JsonNode health = GatewayClient.json(detail.body());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("ready").booleanValue()).isTrue();
        assertThat(health.path("models").asInt()).isEqualTo(4);
        assertThat(health.path("upstreams")).hasSize(3);
        JsonNode first = health.path("upstreams").get(0);
        assertThat(first.path("name").asText()).isEqualTo("alpha");
        assertThat(first.path("reachable").booleanValue()).isTrue();
        assertThat(first.path("models").toString()).isEqualTo("[\"fake-model\",\"shared-model\"]");
        assertThat(first.path("last_error").isNull()).isTrue();
        assertThat(first.path("checked_at").asText()).isNotEmpty();
    }

    @Test
    void withItsOnlyUpstreamDownAndNoBuiltinModelTheServiceIsNotReady() {
        UpstreamConfig nowhere = UpstreamConfig.of("nowhere", URI.create("http://127.0.0.1:" + Ports.refusedPort() + "/v1"));
        try (TestGateway down = TestGateway.start(TestGateway.config(nowhere).withBuiltin(new BuiltinConfig(false, 0)))) {
            HttpResponse<String> ready = down.client().get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("{\"status\":\"NOT_READY\"}");
            HttpResponse<String> detail = down.client().get("/health");
            assertThat(detail.statusCode()).isEqualTo(503);
            JsonNode health = GatewayClient.json(detail.body());
            assertThat(health.path("status").asText()).isEqualTo("DOWN");
            assertThat(health.path("upstreams").get(0).path("reachable").booleanValue()).isFalse();
            assertThat(health.path("upstreams").get(0).path("last_error").asText()).isNotEmpty();
            assertThat(down.client().get("/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> chat = down.client().chat(chatBody("anything", true));
            assertThat(chat.statusCode()).isEqualTo(404);
            assertThat(GatewayClient.json(chat.body()).path("error").path("message").asText()).contains("(none)");
        }
    }
}
