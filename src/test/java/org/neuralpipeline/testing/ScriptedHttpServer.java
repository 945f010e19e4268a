package org.neuralpipeline.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real HTTP/1.1 server on 127.0.0.1 and an ephemeral port that answers each request with the next
 * scripted {@link Reply} (writes, pauses, drops, stalls) and records every request it receives. For
 * testing HTTP clients against real sockets, without mocks (after OkHttp's {@code MockWebServer}).
 *
 * <pre>{@code
 * try (ScriptedHttpServer server = ScriptedHttpServer.start(vertx)) {
 *     server.enqueue(Reply.eventStream().write("data: hi\n\n").drop(), Reply.status(204));
 *     ... connect to server.url("/events") ...
 *     ReceivedRequest first = server.requests().next();
 * }
 * }</pre>
 *
 * <p>When the script runs out, requests get 503 with body {@code no reply scripted} (see
 * {@link #whenEmpty}), which a test then notices as a failure.
 */
public final class ScriptedHttpServer implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 5;

    private final Vertx vertx;
    private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final EventRecorder<ReceivedRequest> requests = new EventRecorder<>();
    private volatile Reply whenEmpty = Reply.status(503).write("no reply scripted");
    private HttpServer server;

    private ScriptedHttpServer(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Starts listening and returns once the port is bound. */
    public static ScriptedHttpServer start(Vertx vertx) {
        ScriptedHttpServer scripted = new ScriptedHttpServer(vertx);
        try {
            scripted.server = vertx.createHttpServer()
                    .requestHandler(scripted::handle)
                    .listen(0, "127.0.0.1")
                    .await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("test server did not start", e);
        }
        return scripted;
    }

    public int port() {
        return server.actualPort();
    }

    /** {@code http://127.0.0.1:PORT} + {@code pathAndQuery}. */
    public String url(String pathAndQuery) {
        return "http://127.0.0.1:" + port() + pathAndQuery;
    }

    /** Adds replies to the script, served in order, one per request. */
    public ScriptedHttpServer enqueue(Reply... more) {
        replies.addAll(List.of(more));
        return this;
    }

    /** The reply for requests that find the script empty. */
    public ScriptedHttpServer whenEmpty(Reply reply) {
        whenEmpty = reply;
        return this;
    }

    /** Every request received, in order, recorded when its body is complete. */
    public EventRecorder<ReceivedRequest> requests() {
        return requests;
    }

    /** Stops listening and closes every connection, stalled ones included. */
    @Override
    public void close() {
        try {
            server.close().await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("test server did not close", e);
        }
    }

    private void handle(HttpServerRequest request) {
        Reply reply = replies.poll();
        Reply chosen = reply != null ? reply : whenEmpty;
        request.body().onComplete(ar -> {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            request.headers().forEach(e -> headers.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
            String body = ar.succeeded() ? ar.result().toString(StandardCharsets.UTF_8) : "";
            requests.record(new ReceivedRequest(request.method().name(), request.uri(), headers, body,
                    System.nanoTime()));
            play(request, chosen);
        });
    }

    private void play(HttpServerRequest request, Reply reply) {
        if (!reply.answer) {
            if (reply.finish == Reply.Finish.DROP) {
                request.connection().close();
            }
            return;
        }
        HttpServerResponse response = request.response().setStatusCode(reply.status);
        reply.headers.forEach(response::putHeader);
        if (reply.steps.isEmpty() && reply.finish == Reply.Finish.END) {
            response.end();
            return;
        }
        response.setChunked(true);
        response.writeHead().onSuccess(v -> step(request, response, reply, 0));
    }

    private void step(HttpServerRequest request, HttpServerResponse response, Reply reply, int index) {
        if (response.closed()) {
            return;
        }
        if (index == reply.steps.size()) {
            switch (reply.finish) {
                case END -> response.end();
                case DROP -> request.connection().close();
                case STALL -> {
                    // keep the connection open and quiet until the client or close() ends it
                }
            }
            return;
        }
        switch (reply.steps.get(index)) {
            case Reply.Step.Write w -> response.write(Buffer.buffer(w.bytes()))
                    .onSuccess(v -> step(request, response, reply, index + 1));
            case Reply.Step.Pause p -> vertx.setTimer(Math.max(1, p.duration().toMillis()),
                    t -> step(request, response, reply, index + 1));
        }
    }
}
