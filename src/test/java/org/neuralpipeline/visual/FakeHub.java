package org.neuralpipeline.visual;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.neuralpipeline.testing.EventRecorder;

/**
 * A stand-in for the service in the page's tests: serves the visual shell like the real routes do, a
 * {@code /ws} that sends what the test gives it (the hub's documented messages), and a {@code /v1/models}
 * naming one model. Records each WebSocket connection's query ({@code since=…}).
 */
final class FakeHub implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final HttpServer server;
    private final List<ServerWebSocket> sockets = new CopyOnWriteArrayList<>();
    /** The query string of every WebSocket connection, in order ("" when none). */
    final EventRecorder<String> connections = new EventRecorder<>();
    /** The body of every chat request. */
    final EventRecorder<String> chats = new EventRecorder<>();
    private final AtomicLong seq = new AtomicLong(1_000);
    private final AtomicInteger chatIds = new AtomicInteger();
    /** When set, a chat's stream is not ended on /ws: the test ends it, to see the page while it runs. */
    volatile boolean holdStreamEnd;

    private FakeHub(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    static FakeHub start(Vertx vertx) throws Exception {
        Router router = Router.router(vertx);
        VisualShell.mount(router);
        router.get("/v1/models").handler(ctx -> ctx.json(JSON.createObjectNode().put("object", "list")
                .set("data", JSON.createArrayNode().add(JSON.createObjectNode().put("id", "fake-model")
                        .put("object", "model").put("owned_by", "fake")))));
        FakeHub[] self = new FakeHub[1];
        router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain")
                .end("# TYPE neural_pipeline_broadcast_viewers gauge\n"
                        + "neural_pipeline_broadcast_viewers{transport=\"sse\"} 2.0\n"
                        + "neural_pipeline_broadcast_viewers{transport=\"websocket\"} "
                        + self[0].sockets.size() + ".0\n"
                        + "neural_pipeline_broadcast_viewers_refused_total 5.0\n"));
        router.post("/v1/chat/completions").handler(ctx -> ctx.request().body().onSuccess(body -> {
            self[0].chats.record(body.toString());
            self[0].answerChat(ctx.response());
        }));
        router.get("/ws").handler(ctx -> {
            String query = ctx.request().query();
            ctx.request().toWebSocket().onSuccess(ws -> {
                self[0].sockets.add(ws);
                ws.closeHandler(v -> self[0].sockets.remove(ws));
                self[0].connections.record(query == null ? "" : query);
            });
        });
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().await(10, TimeUnit.SECONDS);
        self[0] = new FakeHub(vertx, server);
        return self[0];
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort() + "/";
    }

    int viewers() {
        return sockets.size();
    }

    /** Sends each message as one text frame to every connected viewer; returns once written. */
    void send(List<String> messages) throws Exception {
        List<Future<Void>> writes = new CopyOnWriteArrayList<>();
        for (ServerWebSocket ws : sockets) {
            for (String m : messages) {
                writes.add(ws.writeTextMessage(m));
            }
        }
        Future.all(writes).await(30, TimeUnit.SECONDS);
    }

    void send(String... messages) throws Exception {
        send(List.of(messages));
    }

    /**
     * Sends the messages to every viewer in slices of {@code perTick} every {@code tickMillis}, as a busy hub
     * would; the future completes after the last slice was written.
     */
    Future<Void> pace(List<String> messages, int perTick, long tickMillis) {
        Promise<Void> done = Promise.promise();
        int[] next = {0};
        vertx.setPeriodic(tickMillis, timer -> {
            int end = Math.min(next[0] + perTick, messages.size());
            List<Future<Void>> writes = new ArrayList<>();
            for (ServerWebSocket ws : sockets) {
                for (String m : messages.subList(next[0], end)) {
                    writes.add(ws.writeTextMessage(m));
                }
            }
            next[0] = end;
            if (end == messages.size()) {
                vertx.cancelTimer(timer);
                Future.all(writes).onComplete(r -> done.tryComplete());
            }
        });
        return done.future();
    }

    /**
     * A chat as the gateway would stream it, while the hub shows the same tokens to viewers: the response's
     * {@code X-Request-ID} is the {@code request_id} of the messages.
     */
    private void answerChat(HttpServerResponse response) {
        String requestId = "fake-request-" + chatIds.incrementAndGet();
        List<String> words = List.of("Hello", " from", " the", " fake", " hub");
        List<String> messages = new ArrayList<>();
        messages.add(started(seq.incrementAndGet(), requestId));
        StringBuilder sse = new StringBuilder();
        String chunk = "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\","
                + "\"choices\":[{\"index\":0,";
        for (int i = 0; i < words.size(); i++) {
            String content = JSON.valueToTree(words.get(i)).toString();
            sse.append(chunk).append("\"delta\":{\"content\":").append(content).append("},")
                    .append("\"finish_reason\":null}]}\n\n");
            messages.add(token(seq.incrementAndGet(), requestId, words.get(i), 0.1 * (i + 1), 0.5, 0.9));
        }
        sse.append(chunk).append("\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        if (!holdStreamEnd) {
            messages.add(ended(seq.incrementAndGet(), requestId, "stop"));
        }
        response.putHeader("Content-Type", "text/event-stream").putHeader("X-Request-ID", requestId)
                .setChunked(true).write(sse.toString())
                .compose(v -> {
                    for (ServerWebSocket ws : sockets) {
                        messages.forEach(ws::writeTextMessage);
                    }
                    return response.end();
                });
    }

    /** Closes every viewer's socket, as a restarting hub would. */
    void dropViewers() throws Exception {
        List<Future<Void>> closes = sockets.stream().map(ws -> ws.close((short) 1001, "going away")).toList();
        Future.all(closes).await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        server.close().await(10, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- the hub's messages, as docs/schemas/ has them

    /** A token at [x, y]; a null probability is sent as the hub does: activation 1.0 with source "none". */
    static String token(long seq, String requestId, String token, double x, double y, Double probability) {
        ObjectNode m = JSON.createObjectNode().put("seq", seq).put("message_type", "TokenVisualizationUpdate")
                .put("timestamp", now());
        ObjectNode p = m.putObject("payload");
        p.put("current_token", token).put("token_id", (int) Math.round(x * 1000 + y)).put("token_id_source", "hash");
        p.putArray("hilbert_position").add(x).add(y);
        p.put("activation", probability == null ? 1.0 : probability)
                .put("activation_source", probability == null ? "none" : "logprob");
        p.putNull("layer");
        p.put("sequence_position", seq).put("choice", 0).put("kind", "content")
                .put("request_id", requestId).put("model", "fake-model").put("upstream", "fake");
        return m.toString();
    }

    static String started(long seq, String requestId) {
        return JSON.createObjectNode().put("seq", seq).put("message_type", "StreamStarted").put("timestamp", now())
                .put("request_id", requestId).put("model", "fake-model").put("upstream", "fake").toString();
    }

    static String ended(long seq, String requestId, String finishReason) {
        return JSON.createObjectNode().put("seq", seq).put("message_type", "StreamEnded").put("timestamp", now())
                .put("request_id", requestId).put("model", "fake-model").put("upstream", "fake")
                .put("outcome", "finished").put("finish_reason", finishReason).put("tokens", 5)
                .put("duration_seconds", 0.25).toString();
    }

    static String failed(long seq, String requestId, String error) {
        return JSON.createObjectNode().put("seq", seq).put("message_type", "StreamEnded").put("timestamp", now())
                .put("request_id", requestId).put("model", "fake-model").put("upstream", "fake")
                .put("outcome", "failed").put("error", error).put("tokens", 1).put("duration_seconds", 0.5)
                .toString();
    }

    static String state(long seq, String requestId, double tokensPerSecond) {
        ObjectNode m = JSON.createObjectNode().put("seq", seq).put("message_type", "NeuralStateUpdate")
                .put("timestamp", now()).put("daemon_id", "fake").put("strength", 0.42);
        m.putObject("data").put("request_id", requestId).put("model", "fake-model").put("tokens", 16)
                .put("tokens_per_second", tokensPerSecond).put("mean_probability", 0.42).put("final", false);
        return m.toString();
    }

    /** Addressed to one viewer, so without a sequence number. */
    static String dropped(long count) {
        return JSON.createObjectNode().put("message_type", "Dropped").put("timestamp", now()).put("count", count)
                .put("reason", "slow_viewer").toString();
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }
}
