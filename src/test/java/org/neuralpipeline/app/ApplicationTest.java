package org.neuralpipeline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.config.ServerConfig;

class ApplicationTest {
    private static Application app;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        app = Application.start(config(0));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** Built-in model only: no probing of this machine's ports. */
    static PipelineConfig config(int port) {
        return PipelineConfig.DEFAULTS.withServer(new ServerConfig("127.0.0.1", port)).withProbeLocal(false);
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.url() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void liveHealthAnswersUp() throws Exception {
        HttpResponse<String> response = get("/health/live");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
    }

    @Test
    void metricsArePrometheusTextWithJvmAndProcessMeters() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue(Routes.PROMETHEUS_TEXT);
        assertThat(response.body()).contains("# TYPE jvm_memory_used_bytes gauge", "process_cpu_usage",
                "process_files_open_files");
    }

    @Test
    void echoesAWellFormedRequestIdAndGeneratesOneOtherwise() throws Exception {
        assertThat(get("/health/live", "X-Request-ID", "trace-1").headers().firstValue("x-request-id"))
                .hasValue("trace-1");
        assertThat(get("/health/live").headers().firstValue("x-request-id").orElseThrow()).matches("[0-9a-f]{32}");
        assertThat(get("/health/live", "X-Request-ID", "bad\"id").headers().firstValue("x-request-id")
                .orElseThrow()).matches("[0-9a-f]{32}");
    }

    @Test
    void unknownPathIsA404InOpenAiErrorShape() throws Exception {
        HttpResponse<String> response = get("/v1/nothing-here");
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = new ObjectMapper().readTree(response.body()).path("error");
        assertThat(error.path("message").asText()).isEqualTo("Unknown path: GET /v1/nothing-here");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asText()).isEqualTo("not_found");
        assertThat(error.has("param")).isTrue();
        assertThat(error.path("param").isNull()).isTrue();
    }

    /**
     * Regression: close() chained vertx.close() to a future whose callbacks run on an event loop that
     * vertx.close() stops, so the completion was never seen and every close() waited out its 10 s timeout.
     */
    @Test
    void closeReturnsAsSoonAsEverythingStopped() {
        Application other = Application.start(config(0));
        long started = System.nanoTime();
        other.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aTakenPortIsAClearStartupError() {
        assertThatThrownBy(() -> Application.start(config(app.port())))
                .isInstanceOf(Application.StartupException.class)
                .hasMessageStartingWith("cannot start on 127.0.0.1:" + app.port());
    }

    @Test
    void acceptedSocketsGetTheSmallSendBufferAndNoWebSocketCompression() {
        assertThat(Application.serverOptions(config(0)).getSendBufferSize()).isEqualTo(64 * 1024);
        assertThat(Application.serverOptions(config(0)).getPerMessageWebSocketCompressionSupported()).isFalse();
        PipelineConfig osDefault = config(0).withBroadcast(new org.neuralpipeline.config.BroadcastConfig(1000, 100,
                org.neuralpipeline.config.BroadcastConfig.SlowViewerPolicy.DROP_OLDEST, 10, 10,
                java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(5), 0, java.time.Duration.ZERO, 16, 65_536, 8, true, "", ""));
        assertThat(Application.serverOptions(osDefault).getSendBufferSize())
                .isEqualTo(new io.vertx.core.http.HttpServerOptions().getSendBufferSize());
    }
}
