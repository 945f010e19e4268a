package org.neuralpipeline.sse;

/**
 * Incremental WHATWG event-stream parser. (API fixed; implementation in progress.)
 */
public final class SseParser {
    /** Default maximum for one line and for one event's data, in bytes: 1 MiB. */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;

    public SseParser(SseListener listener) {
        this(listener, DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES);
    }

    public SseParser(SseListener listener, int maxLineBytes, int maxEventBytes) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Feeds the next bytes of the stream. @throws SseLimitExceededException past a configured maximum */
    public void feed(byte[] bytes, int offset, int length) {
        throw new UnsupportedOperationException("not yet");
    }

    public void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    /** End of stream: an event not terminated by a blank line is discarded, per the spec. */
    public void end() {
        throw new UnsupportedOperationException("not yet");
    }

    /** The last event ID; {@code ""} when none was set. Persists across events (and reconnections). */
    public String lastEventId() {
        throw new UnsupportedOperationException("not yet");
    }

    /** The reconnection time set by the stream's last valid {@code retry:} field, or -1 if none. */
    public long retryMillis() {
        throw new UnsupportedOperationException("not yet");
    }
}
