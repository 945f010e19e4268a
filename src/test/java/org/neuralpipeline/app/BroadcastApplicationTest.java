package org.neuralpipeline.app;

import java.io.BufferedReader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.io.TempDir;
import org.neuralpipeline.config.BroadcastConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BuiltinConfig;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseParser;
import org.neuralpipeline.testing.EventRecorder;
import org.neuralpipeline.testing.SchemaCheck;

/** The whole service: a chat through the gateway (built-in model, unpaced) shows up token by token on both streams. */
class BroadcastApplicationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Application app;
    private static Vertx clients;
    // held in fields: Vert.x closes a client (and its connections) once the client object is unreachable
    private static WebSocketClient webSockets;
    private static io.vertx.core.http.HttpClient http;

    @BeforeAll
    static void start() {
        app = Application.start(ApplicationTest.config(0).withBuiltin(new BuiltinConfig(true, 0)));
        clients = Vertx.vertx();
        webSockets = clients.createWebSocketClient();
        http = clients.createHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        clients.close().await(10, TimeUnit.SECONDS);
        app.close();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(text, e);
        }
    }

    /** Messages of one request from a recorder of JSON texts, up to its StreamEnded. */
    private static List<JsonNode> untilEnded(EventRecorder<String> recorder, String requestId) {
        List<JsonNode> messages = new ArrayList<>();
        while (true) {
            JsonNode m = json(recorder.next());
            String id = m.path("request_id").asText(m.path("payload").path("request_id")
                    .asText(m.path("data").path("request_id").asText()));
            if (!id.equals(requestId)) {
                continue;
            }
            messages.add(m);
            if (m.path("message_type").asText().equals("StreamEnded")) {
                return messages;
            }
        }
    }

    @Test
    void aChatThroughTheGatewayShowsUpTokenByTokenOnBothStreams() throws Exception {
        // since=0: every message from the first on, whether or not the viewer was registered before the chat
        EventRecorder<String> ws = new EventRecorder<>();
        ClientWebSocket socket = webSockets.webSocket();
        socket.textMessageHandler(ws::record); // before connecting: the replay may arrive at once
        socket.connect(app.port(), "127.0.0.1", "/ws?since=0").await(10, TimeUnit.SECONDS);
        EventRecorder<String> sse = new EventRecorder<>();
        SseParser parser = new SseParser(e -> sse.record(e.id() + " " + e.data()));
        HttpClientResponse stream = http.request(new RequestOptions().setMethod(HttpMethod.GET)
                        .setHost("127.0.0.1").setPort(app.port()).setURI("/v1/neural/stream")
                        .putHeader("Last-Event-ID", "0"))
                // the handler set in the send's callback, on the event loop, before any of the body
                .compose(req -> req.send().map(r -> r.handler(b -> parser.feed(b.getBytes()))))
                .await(10, TimeUnit.SECONDS);

        HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .header("X-Request-ID", "broadcast-e2e-1")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"builtin","stream":true,"max_tokens":40,"seed":7,"logprobs":true,"top_logprobs":3,
                         "messages":[{"role":"user","content":"What is the gateway?"}]}"""))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).isEqualTo(200);
        StringBuilder content = new StringBuilder();
        String finishReason = null;
        List<SseEvent> chunks = new ArrayList<>();
        SseParser chatParser = new SseParser(chunks::add);
        chatParser.feed(chat.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (SseEvent e : chunks) {
            if (e.data().equals("[DONE]")) {
                break;
            }
            JsonNode choice = json(e.data()).path("choices").path(0);
            content.append(choice.path("delta").path("content").asText(""));
            if (choice.path("finish_reason").isTextual()) {
                finishReason = choice.path("finish_reason").asText();
            }
        }

        List<JsonNode> viaWs = untilEnded(ws, "broadcast-e2e-1");
        assertThat(viaWs.getFirst().path("message_type").asText()).isEqualTo("StreamStarted");
        assertThat(viaWs.getFirst().path("model").asText()).isEqualTo("builtin");
        assertThat(viaWs.getFirst().path("upstream").asText()).isEqualTo("builtin");
        StringBuilder tokens = new StringBuilder();
        int position = 0;
        for (JsonNode m : viaWs) {
            if (m.path("message_type").asText().equals("TokenVisualizationUpdate")) {
                JsonNode p = m.path("payload");
                tokens.append(p.path("current_token").asText());
                assertThat(p.path("sequence_position").asInt()).isEqualTo(position++);
                assertThat(p.path("activation_source").asText()).isEqualTo("logprob");
                assertThat(p.path("activation").asDouble()).isBetween(0.0, 1.0);
                assertThat(p.path("hilbert_position").get(0).asDouble()).isBetween(0.0, 1.0);
            }
        }
        assertThat(tokens.toString()).as("every token of the answer, in order").isEqualTo(content.toString());
        for (JsonNode m : viaWs) {
            assertThat(SchemaCheck.violations(m)).as("docs/schemas for %s", m).isEmpty();
        }
        assertThat(position).isGreaterThan(1);
        JsonNode last = viaWs.getLast();
        assertThat(last.path("outcome").asText()).isEqualTo("finished");
        assertThat(last.path("finish_reason").asText()).isEqualTo(finishReason);
        JsonNode finalState = viaWs.get(viaWs.size() - 2);
        assertThat(finalState.path("message_type").asText()).isEqualTo("NeuralStateUpdate");
        assertThat(finalState.path("daemon_id").asText()).isEqualTo("builtin");
        assertThat(finalState.path("strength").asDouble()).isBetween(0.0, 1.0);
        assertThat(finalState.path("data").has("entropy")).isTrue();

        // the SSE viewer saw the same messages, with the sequence numbers as event ids
        List<String> viaSse = new ArrayList<>();
        while (viaSse.size() < viaWs.size() || !viaSse.getLast().contains("StreamEnded")) {
            String event = sse.next();
            if (event.contains("broadcast-e2e-1")) {
                viaSse.add(event);
            }
        }
        for (int i = 0; i < viaWs.size(); i++) {
            JsonNode m = viaWs.get(i);
            assertThat(viaSse.get(i)).isEqualTo(m.path("seq").asLong() + " " + m);
        }
        socket.close();
    }

    @Test
    void ingestedEventsReachViewersAndTheMetricsNameTheHub() throws Exception {
        EventRecorder<String> ws = new EventRecorder<>();
        ClientWebSocket socket = webSockets.webSocket();
        socket.textMessageHandler(ws::record);
        socket.connect(app.port(), "127.0.0.1", "/ws?types=CompositorFrame").await(10, TimeUnit.SECONDS);
        HttpResponse<String> posted;
        long deadline = System.nanoTime() + 10_000_000_000L;
        do { // the viewer registers asynchronously: post until it sees one
            posted = HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/v1/neural/events"))
                    .header("Content-Type", "application/x-ndjson")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message_type\":\"CompositorFrame\",\"n\":1}\n"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(202);
            assertThat(posted.body()).isEqualTo("{\"accepted\":1,\"rejected\":[]}");
            assertThat(System.nanoTime()).as("the viewer saw an ingested event within 10 s").isLessThan(deadline);
        } while (ws.drain().isEmpty() && waited());
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("neural_pipeline_broadcast_viewers{transport=\"websocket\"}",
                "neural_pipeline_broadcast_messages_published_total{type=\"CompositorFrame\"}",
                "neural_pipeline_ingest_lines_total{result=\"accepted\",transport=\"http\"}",
                "neural_pipeline_broadcast_delivery_latency_seconds_bucket",
                "neural_pipeline_broadcast_queue_depth_max",
                // the service's /ws reaches each connection's channel: batches go out with one flush
                "neural_pipeline_broadcast_viewers_unbatched_total 0.0");
        socket.close();
    }

    @Test
    void theServicesIngestSocketReachesViewersAndIsOwnerOnly(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("ingest.sock");
        BroadcastConfig b = BroadcastConfig.DEFAULTS;
        BroadcastConfig withSocket = new BroadcastConfig(b.queueSize(), b.backpressureThreshold(),
                b.slowViewerPolicy(), b.maxViewers(), b.replaySize(), b.heartbeat(), b.staleTimeout(), b.sendBuffer(),
                b.flushInterval(), b.stateEveryTokens(), b.vocabularySize(), b.hilbertOrder(), true, "", path.toString());
        Application own = Application.start(ApplicationTest.config(0).withBroadcast(withSocket));
        try {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
            EventRecorder<String> ws = new EventRecorder<>();
            ClientWebSocket socket = webSockets.webSocket();
            socket.textMessageHandler(ws::record);
            socket.connect(own.port(), "127.0.0.1", "/ws?types=SocketFrame").await(10, TimeUnit.SECONDS);
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                BufferedReader replies = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
                long deadline = System.nanoTime() + 10_000_000_000L;
                int sent = 0;
                do { // the viewer registers asynchronously: send until it sees one
                    channel.write(ByteBuffer.wrap("{\"message_type\":\"SocketFrame\",\"n\":1}\n"
                            .getBytes(StandardCharsets.UTF_8)));
                    sent++;
                    assertThat(replies.readLine()).isEqualTo("{\"ok\":true,\"id\":" + sent + "}");
                    assertThat(System.nanoTime()).as("the viewer saw a line within 10 s").isLessThan(deadline);
                } while (ws.drain().isEmpty() && waited());
            }
            socket.close();
        } finally {
            own.close();
        }
        assertThat(Files.exists(path)).as("removed at shutdown").isFalse();
    }

    private static boolean waited() {
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        return true;
    }
}
