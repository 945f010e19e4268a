package org.neuralpipeline.broadcast;

import io.vertx.core.Future;
import java.util.List;

/**
 * One viewer's connection as the hub sees it: {@link WebSocketSubscriber}, {@link SseSubscriber}, or a fake
 * in tests and benchmarks. The hub calls these methods from its own thread, one batch at a time: it never calls
 * {@link #write} again before the previous write's future completed.
 */
public interface Subscriber {

    /** {@code websocket} or {@code sse}: the tag of this viewer's metrics. */
    String transport();

    /**
     * Writes the frames in order, as few writes (system calls) as the transport allows, and completes when
     * the last byte was accepted by the socket (so a viewer that stops reading leaves the future pending);
     * fails when the connection is gone. Must not block.
     */
    Future<Void> write(List<Frame> batch);

    /**
     * Whether the client answers pings (WebSocket: a pong), so that its silence means it is gone. When false
     * (SSE), a viewer is alive as long as its socket accepts what the hub writes.
     */
    boolean answersPings();

    /** Sends a heartbeat (a WebSocket ping, an SSE comment); completes when the socket accepted it. */
    Future<Void> ping();

    /** Closes the connection, giving {@code code} and {@code reason} where the transport can. Idempotent. */
    void close(int code, String reason);
}
