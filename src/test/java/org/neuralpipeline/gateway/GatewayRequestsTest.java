package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.AuthConfig;
import org.neuralpipeline.config.LimitsConfig;
import org.neuralpipeline.config.UpstreamConfig;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.PartialRequest;
import org.neuralpipeline.testing.RecordedRequest;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * What a request carries in and out: client API keys, the body limit, and which headers reach an upstream
 * (the request id yes, the client's Authorization no, the upstream's own key yes and never back to a client).
 */
class GatewayRequestsTest {
    private static final String CLIENT_KEY = "sk-client-one";
    private static final String UPSTREAM_KEY = "sk-upstream-secret-42";

    private static Vertx vertx;
    private static FakeModelServer open;
    private static FakeModelServer keyed;
    private static TestGateway plain;
    private static TestGateway guarded;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        open = FakeModelServer.start(vertx);
        keyed = FakeModelServer.start(vertx).models("keyed-model");
        plain = TestGateway.start(TestGateway.config(TestGateway.upstream("open", open)));
        UpstreamConfig withKey = new UpstreamConfig("keyed", TestGateway.upstream("keyed", keyed).url(), "KEYED_KEY",
                UPSTREAM_KEY, List.of(), true);
        guarded = TestGateway.start(TestGateway.config(withKey)
                .withAuth(new AuthConfig(List.of("sk-client-zero", CLIENT_KEY), false))
                .withLimits(new LimitsConfig(1024)));
    }

    @AfterAll
    static void stop() throws Exception {
        plain.close();
        guarded.close();
        open.close();
        keyed.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void withoutAKeyOrWithAWrongOneTheAnswerIs401() {
        for (String[] headers : List.of(new String[0], new String[] {"Authorization", "Bearer sk-wrong"},
                new String[] {"Authorization", CLIENT_KEY})) {
            HttpResponse<String> response = guarded.client().chat(chatBody("keyed-model", true), headers);
            assertThat(response.statusCode()).isEqualTo(401);
            GatewayErrorsTest.assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error",
                    "invalid_api_key");
        }
        assertThat(guarded.client().get("/v1/models").statusCode()).isEqualTo(401);
        assertThat(guarded.client().post("/v1/embeddings", "{\"model\":\"keyed-model\",\"input\":\"x\"}").statusCode())
                .isEqualTo(401);
        assertThat(guarded.client().get("/health/ready").statusCode()).as("health needs no key").isEqualTo(200);
    }

    @Test
    void aRequestWithoutTheKeyIsRefusedBeforeItsBodyIsRead() {
        for (String path : List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings")) {
            assertThat(PartialRequest.statusLine(guarded.url(), path, 1000, Duration.ofSeconds(5),
                    "Content-Type: application/json")).as(path).isEqualTo("HTTP/1.1 401 Unauthorized");
        }
        assertThat(PartialRequest.statusLine(guarded.url(), "/v1/chat/completions", 1000, Duration.ofSeconds(5),
                "Content-Type: application/json", "Authorization: Bearer sk-wrong"))
                .isEqualTo("HTTP/1.1 401 Unauthorized");
    }

    @Test
    void withTheRightKeyTheRequestIsServedAndTheUpstreamGetsItsOwnKeyInstead() {
        int before = keyed.requests(FakeModelServer.CHAT).size();
        GatewayClient.Stream stream = guarded.client().stream(chatBody("keyed-model", true),
                "Authorization", "Bearer " + CLIENT_KEY);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.data()).last().isEqualTo("[DONE]");
        assertThat(guarded.client().get("/v1/models", "Authorization", "Bearer " + CLIENT_KEY).statusCode())
                .isEqualTo(200);

        RecordedRequest upstream = keyed.requests(FakeModelServer.CHAT).get(before);
        assertThat(upstream.headers().getAll("Authorization")).containsExactly("Bearer " + UPSTREAM_KEY);
        assertThat(upstream.bodyText()).doesNotContain(CLIENT_KEY);
    }

    @Test
    void theClientsAuthorizationIsNotForwardedByDefault() {
        open.enqueueChat(Script.transcript("openai.sse"));
        int before = open.requests(FakeModelServer.CHAT).size();
        assertThat(plain.client().chat(chatBody("fake-model", true), "Authorization", "Bearer client-own-token")
                .statusCode()).isEqualTo(200);
        assertThat(plain.client().post("/v1/embeddings", "{\"model\":\"fake-model\",\"input\":\"x\"}",
                "Authorization", "Bearer client-own-token").statusCode()).isEqualTo(200);

        assertThat(open.requests(FakeModelServer.CHAT).get(before).header("Authorization")).isNull();
        assertThat(open.requests(FakeModelServer.EMBEDDINGS).getLast().header("Authorization")).isNull();
    }

    @Test
    void theClientsAuthorizationIsForwardedWhenConfiguredTo() {
        try (TestGateway forwarding = TestGateway.start(TestGateway.config(TestGateway.upstream("open", open))
                .withAuth(new AuthConfig(List.of(), true)))) {
            int before = open.requests(FakeModelServer.CHAT).size();
            assertThat(forwarding.client().chat(chatBody("fake-model", true), "Authorization", "Bearer client-own-token")
                    .statusCode()).isEqualTo(200);
            assertThat(open.requests(FakeModelServer.CHAT).get(before).header("Authorization"))
                    .isEqualTo("Bearer client-own-token");
        }
    }

    @Test
    void theUpstreamKeyNeverAppearsInAnyResponse() {
        String auth = "Bearer " + CLIENT_KEY;
        keyed.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.HTTP_500));
        keyed.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.DISCONNECT_MID_STREAM));
        List<HttpResponse<String>> responses = List.of(
                guarded.client().chat(chatBody("keyed-model", false), "Authorization", auth),
                guarded.client().chat(chatBody("keyed-model", true), "Authorization", auth),
                guarded.client().chat(chatBody("keyed-model", true), "Authorization", auth),
                guarded.client().get("/v1/models", "Authorization", auth),
                guarded.client().post("/v1/embeddings", "{\"model\":\"keyed-model\",\"input\":\"x\"}",
                        "Authorization", auth),
                guarded.client().get("/health"),
                guarded.client().get("/metrics"));
        assertThat(responses.get(0).statusCode()).isEqualTo(502);
        for (HttpResponse<String> r : responses) {
            assertThat(r.body()).doesNotContain(UPSTREAM_KEY).doesNotContain("sk-upstream");
            for (Map.Entry<String, List<String>> h : r.headers().map().entrySet()) {
                assertThat(h.getValue()).noneMatch(v -> v.contains("sk-upstream"));
            }
        }
    }

    @Test
    void aBodyOverTheLimitIs413InOpenAiShape() {
        String big = chatBody("keyed-model", true).replace("Say hello.", "x".repeat(2000));
        HttpResponse<String> response = guarded.client().chat(big, "Authorization", "Bearer " + CLIENT_KEY);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        GatewayErrorsTest.assertErrorShape(GatewayClient.json(response.body()), "invalid_request_error",
                "request_too_large");
        assertThat(GatewayClient.json(response.body()).path("error").path("message").asText()).contains("1024");
        // a body under the limit on the same gateway is fine
        assertThat(guarded.client().chat(chatBody("keyed-model", false), "Authorization", "Bearer " + CLIENT_KEY)
                .statusCode()).isEqualTo(200);
    }

    @Test
    void theRequestIdSentUpstreamIsTheOneReturnedToTheClient() {
        open.enqueueChat(Script.transcript("openai.sse"));
        int before = open.requests(FakeModelServer.CHAT).size();
        HttpResponse<String> response = plain.client().chat(chatBody("fake-model", false));
        String returned = response.headers().firstValue("x-request-id").orElseThrow();
        assertThat(returned).matches("[0-9a-f]{32}");
        assertThat(open.requests(FakeModelServer.CHAT).get(before).header("X-Request-ID")).isEqualTo(returned);

        HttpResponse<String> given = plain.client().chat(chatBody("fake-model", false), "X-Request-ID", "trace-77");
        assertThat(given.headers().firstValue("x-request-id")).hasValue("trace-77");
        assertThat(open.requests(FakeModelServer.CHAT).get(before + 1).header("X-Request-ID")).isEqualTo("trace-77");
    }
}
