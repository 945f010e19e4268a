package org.neuralpipeline.sse;

import io.vertx.core.Future;

/** A running {@link SseClient} stream. Safe to use from any thread. */
public interface SseSubscription {

    /**
     * Closes the connection and stops any pending reconnection. Idempotent. After it returns, no handler
     * method starts except one {@link SseHandler#onClosed} with {@link SseOutcome.Cancelled} (unless the
     * stream had already ended); a callback already running on the stream's context may still finish.
     */
    void cancel();

    /** Completes (always successfully) with the outcome, right after {@link SseHandler#onClosed}. */
    Future<SseOutcome> closed();

    /** The last event ID the stream set, {@code ""} if none: what a resumed stream would send. */
    String lastEventId();

    /** The reconnection time the stream set with {@code retry:}, in milliseconds, or -1 if it never did. */
    long retryMillis();
}
