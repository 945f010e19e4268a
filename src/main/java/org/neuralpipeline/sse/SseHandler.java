package org.neuralpipeline.sse;

import io.vertx.core.MultiMap;
import java.time.Duration;

/**
 * Receives what happens to one {@link SseClient} stream.
 *
 * <p>Threading: every method is called on the Vert.x context the stream runs on (the caller's context
 * when {@link SseClient#connect} was called on one, otherwise a new event-loop context), one at a time,
 * never concurrently. Implementations must be fast, must not block and should not throw: an exception
 * is logged and otherwise ignored.
 *
 * <p>Order: for each connection, {@link #onOpen} then events and comments; between connections one
 * {@link #onReconnecting}; and last, exactly once, {@link #onClosed}. After {@link SseSubscription#cancel()}
 * nothing more is called except {@code onClosed}.
 */
public interface SseHandler {

    /** A connection succeeded: a 2xx status with {@code text/event-stream}. */
    default void onOpen(int status, MultiMap headers) {
    }

    void onEvent(SseEvent event);

    /** A comment line (servers send them as keep-alives); the text excludes the colon. */
    default void onComment(String text) {
    }

    /**
     * The connection was lost (or ended) and the client will reconnect after {@code delay}.
     *
     * @param attempt consecutive attempts since the last successful connection, starting at 1
     * @param cause what ended the previous connection: the network error, a {@code TimeoutException} for
     *     the idle timeout, or an {@code EOFException} when the server ended the response normally
     */
    default void onReconnecting(int attempt, Duration delay, Throwable cause) {
    }

    /** The stream is over; called exactly once, last. */
    void onClosed(SseOutcome outcome);
}
