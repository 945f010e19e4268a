package org.neuralpipeline.sse;

/**
 * A line or an event grew past the parser's configured maximum. The stream cannot be trusted after
 * this: the caller should drop the connection (and may reconnect).
 */
public final class SseLimitExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SseLimitExceededException(String message) {
        // stackless: a hostile or broken server can trigger this often, and the trace says nothing new
        super(message, null, false, false);
    }
}
