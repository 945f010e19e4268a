package org.neuralpipeline.broadcast;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.neuralpipeline.openai.ErrorBody;
import org.neuralpipeline.sse.SseEncoder;

/**
 * The viewer endpoints (docs/API.md, "Broadcast"): {@code GET /ws}, {@code GET /v1/neural/stream} and
 * {@code GET /v1/neural/recent}. Each filters with the query parameters {@code request_id}, {@code model} and
 * {@code types}; the two streams resume after {@code ?since=ID} (and SSE after {@code Last-Event-ID}).
 */
public final class ViewerEndpoints {
    /** {@code /v1/neural/recent} without {@code ?limit=}. */
    public static final int DEFAULT_RECENT = 100;
    /** What an SSE client waits before reconnecting, sent as {@code retry:} when the stream opens. */
    static final long SSE_RETRY_MILLIS = 1000;

    private final BroadcastHub hub;

    public ViewerEndpoints(BroadcastHub hub) {
        this.hub = hub;
    }

    /**
     * {@code GET /ws}: a WebSocket of JSON text frames. Takes the server's own request, not vertx-web's
     * {@code RoutingContext}: vertx-web wraps the WebSocket it upgrades to, and only Vert.x's own WebSocket gives
     * {@link WebSocketSubscriber} the connection's channel, which its batched writes (one system call per batch,
     * not per message) need. So the service answers {@code /ws} in front of its router ({@code Routes}).
     */
    public void webSocket(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
            error(response, 400, "invalid_request_error", "websocket_upgrade_required",
                    "GET /ws is a WebSocket (send Upgrade: websocket); GET /v1/neural/stream serves the same as SSE");
            return;
        }
        ViewerFilter filter;
        long since;
        try {
            filter = filter(request);
            since = since(request.getParam("since"));
        } catch (IllegalArgumentException e) {
            error(response, 400, "invalid_request_error", "invalid_value", e.getMessage());
            return;
        }
        if (!hub.reserve()) {
            refuse(response);
            return;
        }
        request.toWebSocket().onComplete(ar -> {
            if (ar.failed()) {
                hub.release(); // Vert.x has answered the bad handshake
                return;
            }
            ServerWebSocket ws = ar.result();
            Subscription subscription = hub.subscribe(WebSocketSubscriber.of(ws, Vertx.currentContext(), hub),
                    filter, since);
            ws.handler(b -> subscription.touch());
            ws.pongHandler(b -> subscription.touch());
            ws.exceptionHandler(t -> {
            });
            ws.closeHandler(v -> subscription.cancel());
        });
    }

    /** {@code GET /v1/neural/stream}: server-sent events, {@code id} = sequence number. */
    public void sse(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        ViewerFilter filter;
        long since;
        try {
            filter = filter(request);
            since = since(request.getParam("since"));
            String lastEventId = request.getHeader("Last-Event-ID");
            if (lastEventId != null) {
                // what a reconnecting EventSource sends: ours are numbers; anything else is not ours, so live only
                try {
                    since = since(lastEventId.strip());
                } catch (IllegalArgumentException e) {
                    since = -1;
                }
            }
        } catch (IllegalArgumentException e) {
            error(ctx.response(), 400, "invalid_request_error", "invalid_value", e.getMessage());
            return;
        }
        if (!hub.reserve()) {
            refuse(ctx.response());
            return;
        }
        HttpServerResponse response = ctx.response();
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(SseEncoder.retry(SSE_RETRY_MILLIS)); // sends the head now, so the client knows it is open
        Subscription subscription = hub.subscribe(new SseSubscriber(response, Vertx.currentContext()), filter, since);
        response.closeHandler(v -> subscription.cancel());
        response.exceptionHandler(t -> {
        });
    }

    /** {@code GET /v1/neural/recent?limit=N}: a JSON array of the newest messages, oldest first. */
    public void recent(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        int max = Math.max(1, hub.config().replaySize());
        ViewerFilter filter;
        int limit;
        try {
            filter = filter(request);
            String text = request.getParam("limit");
            limit = text == null ? Math.min(DEFAULT_RECENT, max) : integer("limit", text, 1, max);
        } catch (IllegalArgumentException e) {
            error(ctx.response(), 400, "invalid_request_error", "invalid_value", e.getMessage());
            return;
        }
        hub.recent(limit, filter).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            List<Frame> frames = ar.result();
            int length = 2 + frames.size();
            for (Frame f : frames) {
                length += f.json().length;
            }
            Buffer body = Buffer.buffer(length).appendByte((byte) '[');
            for (int i = 0; i < frames.size(); i++) {
                if (i > 0) {
                    body.appendByte((byte) ',');
                }
                body.appendBytes(frames.get(i).json());
            }
            body.appendByte((byte) ']');
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
        });
    }

    private static ViewerFilter filter(HttpServerRequest request) {
        return ViewerFilter.of(request.getParam("request_id"), request.getParam("model"), request.getParam("types"));
    }

    /** A last-seen sequence number; -1 when absent. */
    static long since(String text) {
        if (text == null) {
            return -1;
        }
        try {
            long value = Long.parseLong(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("since: \"" + text + "\" (expected: a message id, 0 or more)");
    }

    private static int integer(String name, String text, int min, int max) {
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(name + ": \"" + text + "\" (expected: " + min + " to " + max + ")");
    }

    private void refuse(HttpServerResponse response) {
        response.putHeader("Retry-After", "5");
        error(response, 503, "server_error", "too_many_viewers", "Too many viewers: " + hub.config().maxViewers()
                + " are connected (broadcast.max_viewers); try again later");
    }

    /** An error in OpenAI's shape, {@code {"error":{"message","type","param","code"}}}. */
    static void error(HttpServerResponse response, int status, String type, String code, String message) {
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(ErrorBody.json(message, type, null, code)));
    }
}
