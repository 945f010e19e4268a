package org.neuralpipeline.sse;

/**
 * Why an {@link SseClient} stream failed for good. {@link #kind()} says what the caller may do next;
 * the client has already applied its reconnection policy, so none of these is retried further.
 *
 * <p>Stackless: these are expected, routine outcomes of talking to other servers, and the stack of an
 * event-loop callback says nothing useful. The network cause, when there is one, is kept.
 */
public final class SseClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, which tells what to do about it. */
    public enum Kind {
        /**
         * The connection failed, broke or went idle, and reconnection was not allowed (a POST by default)
         * or the attempts ran out. Trying again later may work; for a POST, a new request would generate
         * a new completion.
         */
        NETWORK,
        /** The server answered with a status other than 2xx: it refuses. {@link #status()} has it. */
        HTTP_STATUS,
        /** The server answered 2xx but not with {@code text/event-stream}: wrong URL or wrong server. */
        CONTENT_TYPE,
        /**
         * The stream itself is unusable and would be again: a line or an event exceeded the parser's limit
         * (the cause is the parser's {@link SseLimitExceededException}), or, when a reconnection was due,
         * the stream had set an event ID that cannot be sent back in a {@code Last-Event-ID} header (a
         * control character). A broken or hostile server.
         */
        BAD_STREAM
    }

    private final Kind kind;
    private final int status;

    SseClientException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status of the response that ended the stream; 0 when there was none (a network failure). */
    public int status() {
        return status;
    }
}
