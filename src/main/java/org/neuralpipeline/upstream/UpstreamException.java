package org.neuralpipeline.upstream;

import java.util.Objects;

/**
 * An upstream call failed. {@link #kind()} says how (and so which HTTP status the client gets before the
 * stream started); {@link #afterFirstEvent()} says whether anything reached the client, which decides
 * whether another upstream may be tried (before) or the stream must end with an error event (after).
 */
public final class UpstreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Could not connect: refused, unreachable, DNS. Client sees 502. */
        REFUSED,
        /** Connect, first-token, idle or total deadline passed. Client sees 504. */
        TIMEOUT,
        /** The upstream answered with an HTTP error status ({@link #status()}). */
        HTTP_STATUS,
        /** The upstream broke the protocol: wrong content type, malformed chunk, oversized event. 502. */
        PROTOCOL,
        /** The stream ended without a finish reason for every choice. 502. */
        TRUNCATED,
        /** The upstream reported an error inside its stream. 502. */
        STREAM_ERROR,
        /** This upstream cannot serve the request (for example embeddings on the built-in model). 400. */
        UNSUPPORTED
    }

    private final Kind kind;
    private final int status;
    private final String upstreamBody;
    private final boolean afterFirstEvent;
    private final long retryAfterSeconds;

    private UpstreamException(Kind kind, String message, int status, String upstreamBody, boolean afterFirstEvent,
            long retryAfterSeconds, Throwable cause) {
        // stackless: upstream failures are routine and the message carries the facts
        super(message, cause, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = status;
        this.upstreamBody = upstreamBody;
        this.afterFirstEvent = afterFirstEvent;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static UpstreamException of(Kind kind, String message, boolean afterFirstEvent) {
        return new UpstreamException(kind, message, 0, null, afterFirstEvent, -1, null);
    }

    public static UpstreamException of(Kind kind, String message, boolean afterFirstEvent, Throwable cause) {
        return new UpstreamException(kind, message, 0, null, afterFirstEvent, -1, cause);
    }

    /**
     * @param body the upstream's response body (a bounded prefix), passed to the client for 4xx
     * @param retryAfterSeconds from a 429/503 {@code Retry-After}, or -1
     */
    public static UpstreamException httpStatus(int status, String message, String body, long retryAfterSeconds) {
        return new UpstreamException(Kind.HTTP_STATUS, message, status, body, false, retryAfterSeconds, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The upstream's HTTP status for {@link Kind#HTTP_STATUS}, else 0. */
    public int status() {
        return status;
    }

    /** The upstream's error body (bounded) for {@link Kind#HTTP_STATUS}, else null. */
    public String upstreamBody() {
        return upstreamBody;
    }

    public boolean afterFirstEvent() {
        return afterFirstEvent;
    }

    /** Seconds from the upstream's Retry-After header, or -1. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
