package org.neuralpipeline.sse;

/**
 * Writes events in the {@code text/event-stream} format, the inverse of {@link SseParser}.
 *
 * <p>An event becomes: an {@code event: TYPE} line unless the type is {@code "message"} (or empty, which
 * the parser reads as {@code "message"} too); an {@code id: ID} line when the id is non-empty; one
 * {@code data: LINE} line per line of the data, where CRLF, CR and LF all end a line (empty data gives
 * one {@code data:} line); then a blank line. Lines end with LF. Fields are written with one space after
 * the colon, so a value that itself starts with a space keeps it (the parser removes exactly one).
 *
 * <p>Round trip: for an event whose type is non-empty, whose strings are well-formed UTF-16 (no lone
 * surrogates) and which the encoder accepts, a fresh {@link SseParser} fed the encoding reports the same
 * event, except that every CRLF and CR in the data comes back as LF (the format cannot tell them apart).
 *
 * <p>Ids persist in the parser: an event with an empty id written after one with an id is read back
 * with the earlier id. Streams that use ids should give every event one.
 *
 * <p>{@link #encodeToBytes} is the form for the wire: UTF-8 in a new, exactly sized {@code byte[]} (one
 * pass measures, one writes; no intermediate string), so that a hub can encode an event once and hand
 * the same array to every subscriber, which must then treat it as read-only. A lone surrogate is
 * written as U+FFFD, as the WHATWG encoders do.
 */
public final class SseEncoder {
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't', ':', ' '};
    private static final byte[] ID = {'i', 'd', ':', ' '};
    private static final byte[] DATA = {'d', 'a', 't', 'a', ':'};
    /** U+FFFD in UTF-8, written for a lone surrogate. */
    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private SseEncoder() {
    }

    /**
     * The event as text, e.g. {@code "data: hello\n\n"}.
     *
     * @throws IllegalArgumentException if the type or id contains CR or LF, or the id contains NUL
     */
    public static String encode(SseEvent event) {
        String type = event.type();
        String id = event.id();
        String data = event.data();
        checkEvent(type, id);
        StringBuilder out = new StringBuilder(data.length() + type.length() + id.length() + 24);
        if (writesType(type)) {
            out.append("event: ").append(type).append('\n');
        }
        if (!id.isEmpty()) {
            out.append("id: ").append(id).append('\n');
        }
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i <= length; i++) {
            char c = i < length ? data.charAt(i) : '\n';
            if (c == '\r' || c == '\n') {
                out.append("data:");
                if (i > lineStart) {
                    out.append(' ').append(data, lineStart, i);
                }
                out.append('\n');
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        return out.append('\n').toString();
    }

    /**
     * The event as UTF-8 bytes: exactly the bytes of {@link #encode} (except that a lone surrogate becomes
     * U+FFFD), in a new array of exactly that length.
     *
     * @throws IllegalArgumentException if the type or id contains CR or LF, or the id contains NUL
     */
    public static byte[] encodeToBytes(SseEvent event) {
        String type = event.type();
        String id = event.id();
        String data = event.data();
        checkEvent(type, id);
        byte[] out = new byte[encodedLength(type, id, data)];
        int p = 0;
        if (writesType(type)) {
            p = put(out, p, EVENT);
            p = utf8(type, 0, type.length(), out, p);
            out[p++] = '\n';
        }
        if (!id.isEmpty()) {
            p = put(out, p, ID);
            p = utf8(id, 0, id.length(), out, p);
            out[p++] = '\n';
        }
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i <= length; i++) {
            char c = i < length ? data.charAt(i) : '\n';
            if (c == '\r' || c == '\n') {
                p = put(out, p, DATA);
                if (i > lineStart) {
                    out[p++] = ' ';
                    p = utf8(data, lineStart, i, out, p);
                }
                out[p++] = '\n';
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        out[p] = '\n';
        return out;
    }

    /** The length of what {@link #encodeToBytes} writes, so that it writes into an exactly sized array. */
    private static int encodedLength(String type, String id, String data) {
        long n = 1; // the blank line
        if (writesType(type)) {
            n += EVENT.length + utf8Length(type, 0, type.length()) + 1;
        }
        if (!id.isEmpty()) {
            n += ID.length + utf8Length(id, 0, id.length()) + 1;
        }
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i <= length; i++) {
            char c = i < length ? data.charAt(i) : '\n';
            if (c == '\r' || c == '\n') {
                n += DATA.length + 1;
                if (i > lineStart) {
                    n += 1 + utf8Length(data, lineStart, i);
                }
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("event too big to encode: " + n + " bytes");
        }
        return (int) n;
    }

    /** UTF-8 length of {@code s[from, to)} as {@link #utf8} writes it. */
    private static long utf8Length(String s, int from, int to) {
        long n = to - from;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    n += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 2; // two chars, four bytes
                    i++;
                } else {
                    n += 2; // three bytes, including U+FFFD for a lone surrogate
                }
            }
        }
        return n;
    }

    /**
     * A comment block, {@code ":" + text + "\n\n"}; the parser reports {@code text} to
     * {@link SseListener#onComment}. Used as a keep-alive (e.g. {@code comment(" keep-alive")}); the blank
     * line makes it a block of its own, which is harmless between events.
     *
     * @throws IllegalArgumentException if the text contains CR or LF
     */
    public static String comment(String text) {
        if (containsLineEnd(text)) {
            throw new IllegalArgumentException("comment: " + quote(text) + " (expected: no CR or LF)");
        }
        return ":" + text + "\n\n";
    }

    /**
     * A block that sets the client's reconnection time, {@code "retry: N\n\n"}.
     *
     * @throws IllegalArgumentException if {@code millis} is negative
     */
    public static String retry(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("retry: " + millis + " (expected: 0 or more milliseconds)");
        }
        return "retry: " + millis + "\n\n";
    }

    private static boolean writesType(String type) {
        return !type.isEmpty() && !type.equals(SseEvent.DEFAULT_TYPE);
    }

    private static void checkEvent(String type, String id) {
        if (containsLineEnd(type)) {
            throw new IllegalArgumentException("type: " + quote(type) + " (expected: no CR or LF)");
        }
        if (containsLineEnd(id) || id.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("id: " + quote(id) + " (expected: no CR, LF or NUL)");
        }
    }

    private static boolean containsLineEnd(String s) {
        return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
    }

    private static String quote(String s) {
        String shown = s.length() > 60 ? s.substring(0, 60) + "…" : s;
        return '"' + shown.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0") + '"';
    }

    private static int put(byte[] out, int p, byte[] bytes) {
        System.arraycopy(bytes, 0, out, p, bytes.length);
        return p + bytes.length;
    }

    /** Writes {@code s[from, to)} as UTF-8; a lone surrogate becomes U+FFFD. */
    private static int utf8(String s, int from, int to, byte[] out, int p) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[p++] = (byte) c;
            } else if (c < 0x800) {
                out[p++] = (byte) (0xC0 | c >> 6);
                out[p++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    out[p++] = (byte) (0xF0 | cp >> 18);
                    out[p++] = (byte) (0x80 | cp >> 12 & 0x3F);
                    out[p++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    out[p++] = (byte) (0x80 | cp & 0x3F);
                } else {
                    p = put(out, p, REPLACEMENT);
                }
            } else {
                out[p++] = (byte) (0xE0 | c >> 12);
                out[p++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[p++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return p;
    }
}
