package org.neuralpipeline.sse;

/**
 * Receives what {@link SseParser} finds, on the thread that feeds it. Implementations must be fast and
 * must not throw: the parser is on the event loop of every stream.
 */
public interface SseListener {
    /** A complete event was dispatched (a blank line ended it and its data buffer was not empty). */
    void onEvent(SseEvent event);

    /** A valid {@code retry:} field set the reconnection time. */
    default void onRetry(long millis) {
    }

    /** A comment line ({@code :} first); servers use these as keep-alives. The text excludes the colon. */
    default void onComment(String text) {
    }
}
