package org.neuralpipeline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fixture itself: what each fault does to a script, and what the server sends and records. */
class FakeModelServerTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Vertx vertx;
    private FakeModelServer server;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void start() {
        server = FakeModelServer.start(vertx);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").header("X-Test", "yes")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String text(List<Script.Step> steps) {
        StringBuilder out = new StringBuilder();
        for (Script.Step s : steps) {
            out.append(s instanceof Script.Write w ? new String(w.bytes(), StandardCharsets.UTF_8) : "|pause|");
        }
        return out.toString();
    }

    @Test
    void transcriptIsServedByteForByteAndTheRequestRecorded() throws Exception {
        Script transcript = Script.transcript("vllm.sse");
        server.enqueueChat(transcript);

        HttpResponse<String> response = post(FakeModelServer.CHAT, "{\"model\":\"m\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        assertThat(response.body()).isEqualTo(transcript.text());
        RecordedRequest r = server.takeRequest();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo(FakeModelServer.CHAT);
        assertThat(r.header("x-test")).isEqualTo("yes");
        assertThat(r.bodyJson().get("model").textValue()).isEqualTo("m");
    }

    @Test
    void transcriptWritesAreItsEvents() {
        assertThat(Script.transcript("llamacpp-error.sse").steps()).hasSize(3);
        assertThat(Script.splitEvents("data: a\r\n\r\ndata: b\r\rtail".getBytes(StandardCharsets.UTF_8)))
                .extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactly("data: a\r\n\r\n", "data: b\r\r", "tail");
    }

    @Test
    void noDoneRemovesOnlyTheDoneEvent() {
        Script.Plan plan = Script.sse().event("{}").done().plan(FaultMode.NO_DONE);

        assertThat(text(plan.steps())).isEqualTo("data: {}\n\n");
        assertThat(plan.ending()).isEqualTo(Script.Ending.END);
    }

    @Test
    void splitMultibyteCutsInsideTheCharacter() {
        Script.Plan plan = Script.sse().event("\"é\"").plan(FaultMode.SPLIT_MULTIBYTE);

        assertThat(plan.steps()).hasSize(3);
        assertThat(((Script.Write) plan.steps().get(0)).bytes()).endsWith((byte) 0xC3);
        assertThat(((Script.Write) plan.steps().get(2)).bytes()).startsWith((byte) 0xA9);
        assertThatThrownBy(() -> Script.sse().event("ascii").plan(FaultMode.SPLIT_MULTIBYTE))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void streamFaultsCutAfterTheFirstToken() {
        Script script = Script.sse().event("{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}")
                .event("{\"delta\":{\"content\":\"Hi\"}}").event("{\"delta\":{\"content\":\"!\"}}").done();

        assertThat(text(script.plan(FaultMode.STALL_AFTER_FIRST_TOKEN).steps()))
                .endsWith("{\"delta\":{\"content\":\"Hi\"}}\n\n");
        assertThat(script.plan(FaultMode.DISCONNECT_MID_STREAM).ending()).isEqualTo(Script.Ending.DISCONNECT);
        assertThat(text(script.plan(FaultMode.MALFORMED_CHUNK).steps()))
                .contains("\"Hi\"}}\n\n" + Script.MALFORMED_EVENT + "data: {\"delta\":{\"content\":\"!\"}}");
        assertThat(text(script.plan(FaultMode.KEEPALIVE_COMMENTS).steps())).startsWith(Script.KEEPALIVE + "data:");
    }

    @Test
    void http429FaultCarriesRetryAfter() throws Exception {
        server.fault(FaultMode.HTTP_429_WITH_RETRY_AFTER);

        HttpResponse<String> response = post(FakeModelServer.EMBEDDINGS, "{}");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("7");
        assertThat(response.body()).contains("rate_limit_exceeded");
    }

    @Test
    void unknownPathIsA404AndModelsListsTheConfiguredIds() throws Exception {
        server.models("a", "b");

        assertThat(post("/v1/nothing", "{}").statusCode()).isEqualTo(404);
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(models.body()).contains("\"id\":\"a\"", "\"id\":\"b\"");
    }

    @Test
    void refuseClosesThePortAndHealingOpensItAgain() throws Exception {
        server.fault(FaultMode.REFUSE);
        assertThatThrownBy(() -> post(FakeModelServer.CHAT, "{}")).isInstanceOf(java.net.ConnectException.class);

        server.fault(null);
        assertThat(post(FakeModelServer.CHAT, "{}").statusCode()).isEqualTo(200);
    }
}
