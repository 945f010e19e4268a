package org.neuralpipeline.sse;

import java.util.Objects;

/**
 * How an {@link SseClient} stream ended: delivered exactly once, to {@link SseHandler#onClosed} and by
 * {@link SseSubscription#closed()}. Switch on it; the compiler lists the cases.
 */
public sealed interface SseOutcome {

    /** The stream ended normally. */
    record Ended(Reason reason) implements SseOutcome {
        public Ended {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The stream failed; the exception's kind says why. */
    record Failed(SseClientException error) implements SseOutcome {
        public Failed {
            Objects.requireNonNull(error, "error");
        }
    }

    /** {@link SseSubscription#cancel()} was called first. */
    record Cancelled() implements SseOutcome {
    }

    /** Why a stream ended normally. */
    enum Reason {
        /** HTTP 204: the server says "stop reconnecting" (the WHATWG spec's way to end an EventSource). */
        NO_CONTENT,
        /** The response body ended and reconnection is off (the normal end of a POST completion stream). */
        END_OF_STREAM
    }
}
