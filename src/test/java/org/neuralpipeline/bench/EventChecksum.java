package org.neuralpipeline.bench;

import okhttp3.sse.internal.ServerSentEventReader;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseListener;

/**
 * Order-sensitive checksum of every dispatched event's type, data and id, taken the same way from both
 * parsers and from the corpus generators. Used once per trial to prove both parsers see the same events;
 * too slow for the measured loop (it hashes every character), which uses {@link EventCounter}.
 *
 * <p>OkHttp reports an absent type or id as {@code null}; the WHATWG model (and {@link SseEvent}) says
 * {@code "message"} and {@code ""}. The checksum maps the former onto the latter.
 */
final class EventChecksum implements SseListener, ServerSentEventReader.Callback {
    /** Size of one {@link SseEvent}: 12-byte header and three compressed references. */
    static final int SSE_EVENT_BYTES = 24;

    private int events;
    private long checksum = 17;

    @Override
    public void onEvent(SseEvent event) {
        add(event.type(), event.data(), event.id());
    }

    @Override
    public void onEvent(String id, String type, String data) {
        add(type == null ? SseEvent.DEFAULT_TYPE : type, data, id == null ? "" : id);
    }

    @Override
    public void onRetryChange(long timeMs) {
    }

    void add(String type, String data, String id) {
        events++;
        checksum = mix(checksum, type, data, id);
    }

    int events() {
        return events;
    }

    long checksum() {
        return checksum;
    }

    static long mix(long h, String type, String data, String id) {
        h = h * 1_000_003 + type.hashCode();
        h = h * 1_000_003 + data.hashCode();
        h = h * 1_000_003 + data.length();
        return h * 1_000_003 + id.hashCode();
    }

    /**
     * Heap bytes of a freshly made {@code String} on 64-bit HotSpot with compressed oops, classic
     * 12-byte object headers and compact strings (the JDK 21-25 defaults): a 24-byte String plus its
     * {@code byte[]} (16-byte header, one byte per char when every char is Latin-1, else two), each
     * rounded up to 8 bytes.
     */
    static long retainedSize(String s) {
        boolean latin1 = true;
        for (int i = 0; i < s.length() && latin1; i++) {
            latin1 = s.charAt(i) <= 0xFF;
        }
        long array = 16L + (latin1 ? s.length() : 2L * s.length());
        return 24 + ((array + 7) & ~7L);
    }
}
