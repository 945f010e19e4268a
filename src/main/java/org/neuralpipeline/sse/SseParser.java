package org.neuralpipeline.sse;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * Incremental parser of a {@code text/event-stream}, exactly as the WHATWG HTML Living Standard's
 * "Parsing an event stream" and "Interpreting an event stream" (§9.2) define it: bytes in, in chunks of
 * any size, {@link SseEvent}s out to a {@link SseListener}, with a bounded line and a bounded event.
 *
 * <h2>How this works and why</h2>
 *
 * <p><b>Bytes, not chars.</b> The spec decodes the stream as UTF-8 and then splits lines and fields on
 * characters. We do both on bytes and decode only the values we hand out (event data, type, id,
 * comments). That gives the same characters because every delimiter involved (CR, LF, ':', ' ', and the
 * NUL that disqualifies an id) is an ASCII byte, which never occurs inside a valid multi-byte sequence
 * and which restarts the standard's decoder cleanly after an invalid one; {@link Utf8} spells this out.
 * The data buffer is therefore kept as bytes (values joined by LF) and decoded once, at dispatch.
 *
 * <p><b>One pass over each byte.</b> {@link #feed} searches the caller's chunk for the next CR or LF,
 * eight bytes at a time ({@link #indexOfLineEnd}). A line that lies wholly inside the chunk is
 * interpreted straight from the caller's array, with no copy. Only the tail of a line that the chunk does
 * not finish is copied into {@code carry}; the next chunk is searched from its own first byte, so carried
 * bytes are never searched again. A CR that ends a chunk ends the line at once and sets {@code skipLf},
 * which swallows an LF at the start of the next chunk: that is how CRLF split across two chunks counts as
 * one line ending, without waiting for the next chunk.
 *
 * <p><b>Bounded.</b> A line may not exceed {@code maxLineBytes} (excluding its line ending) and the data
 * of one event {@code maxEventBytes} (its data values as received, joined by LF). The search for a line
 * end stops where the line would become too long, so even one huge chunk without a line end is rejected
 * after at most {@code maxLineBytes + 1} bytes are examined, and no buffer ever grows past its limit.
 * Breaching a limit throws {@link SseLimitExceededException} and fails the parser for good. Where a limit
 * is hit does not depend on how the stream was chunked: the events before it are always delivered.
 *
 * <p><b>Few allocations.</b> Per event: the data string and the {@link SseEvent}. An event with a single
 * {@code data:} line that lies in the current chunk is decoded straight from the chunk
 * ({@code dataInChunk}); otherwise values are copied into {@code data}, which grows as needed and is
 * dropped after an unusually big event. The type string is reused while the {@code event:} value's bytes
 * repeat ({@code "message"} is a constant), and the id string while no {@code id:} field arrives (or it
 * repeats the previous value).
 *
 * <p>A listener should not throw (see {@link SseListener}); if it does, the exception propagates out of
 * {@code feed}, the rest of that chunk is not parsed, and the parser should be discarded.
 *
 * <p>Not thread-safe: one parser belongs to one stream and is fed from one thread (its event loop).
 */
public final class SseParser {
    /** Default maximum for one line and for one event's data, in bytes: 1 MiB. */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
    private static final long BELOW_CR = 0x0E0E0E0E0E0E0E0EL;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte COLON = ':';
    private static final byte SPACE = ' ';
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final byte[] EMPTY = {};
    private static final int INITIAL_CAPACITY = 256;
    /** A buffer grown past this by one big event is dropped after it, so idle streams hold little memory. */
    private static final int RETAINED_CAPACITY = 64 * 1024;

    private final SseListener listener;
    private final int maxLineBytes;
    private final int maxEventBytes;

    /** Bytes of a leading BOM matched so far; {@link #BOM}{@code .length} once the stream start is past. */
    private int bomMatched;
    /** The previous chunk ended with CR: an LF starting the next chunk belongs to that line ending. */
    private boolean skipLf;
    private boolean ended;
    /** Set once a limit was breached; every later {@code feed} throws it again. */
    private SseLimitExceededException failure;

    /** The start of a line that an earlier chunk did not finish. Holds no CR or LF. */
    private byte[] carry = EMPTY;
    private int carryLen;

    /** The data buffer: the values of this event's data fields joined by LF (without the spec's final LF). */
    private byte[] data = EMPTY;
    private int dataLen;
    /** Whether any data field arrived; distinguishes "data buffer is \n" (dispatch "") from empty. */
    private boolean hasData;
    /**
     * When the data buffer holds a single value that lies in the chunk being fed, it is left there:
     * {@code dataLen} bytes from {@code dataOffset} in this array (null otherwise). Copied into
     * {@link #data} only if another data field follows or {@code feed} returns before the dispatch.
     */
    private byte[] dataInChunk;
    private int dataOffset;

    /** The event type buffer, decoded; null when empty (dispatch then uses "message"). */
    private String eventType;
    /** Raw bytes of the last {@code event:} value decoded, to reuse {@link #typeString} when they repeat. */
    private byte[] typeBytes = EMPTY;
    private int typeLen;
    private String typeString;

    /** The last event ID buffer. */
    private String idBuffer;
    /** Raw bytes of the last {@code id:} value decoded, to reuse {@link #idString}; null string: none yet. */
    private byte[] idBytes = EMPTY;
    private int idLen;
    private String idString;

    /** The last event ID string, as of the last blank line. */
    private String lastEventId;
    private long retryMillis = -1;

    /** A parser with the default limits, {@link #DEFAULT_MAX_BYTES} for a line and for an event. */
    public SseParser(SseListener listener) {
        this(listener, DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES);
    }

    /** A parser with the given limits (see the four-argument constructor) and no last event ID. */
    public SseParser(SseListener listener, int maxLineBytes, int maxEventBytes) {
        this(listener, maxLineBytes, maxEventBytes, "");
    }

    /**
     * A parser whose last event ID starts as {@code initialLastEventId} instead of {@code ""}. A client that
     * reconnects (sending {@code Last-Event-ID}) passes the previous parser's {@link #lastEventId()}, so that
     * events of the new connection that carry no {@code id:} field still report it, and a blank line
     * without an {@code id:} field keeps it, as a browser's {@code EventSource} does across reconnections.
     *
     * @param maxLineBytes the longest line accepted, in bytes, excluding its line ending; 1 or more
     * @param maxEventBytes the largest event data accepted, in bytes as received (the values of its data
     *     fields joined by LF); 1 or more
     * @param initialLastEventId the last event ID before the first byte; not null
     */
    public SseParser(SseListener listener, int maxLineBytes, int maxEventBytes, String initialLastEventId) {
        this.listener = Objects.requireNonNull(listener, "listener");
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: 1 or more)");
        }
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: 1 or more)");
        }
        this.maxLineBytes = maxLineBytes;
        this.maxEventBytes = maxEventBytes;
        this.lastEventId = Objects.requireNonNull(initialLastEventId, "initialLastEventId");
        this.idBuffer = initialLastEventId;
    }

    /**
     * Feeds the next {@code length} bytes of the stream, calling the listener for everything they complete.
     * Chunk boundaries never change what is reported.
     *
     * @throws SseLimitExceededException past a configured maximum, and on every call after that
     * @throws IllegalStateException after {@link #end()}
     */
    public void feed(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            throw new IllegalStateException("feed after end()");
        }
        int pos = offset;
        int end = offset + length;
        try {
            if (bomMatched < BOM.length) {
                pos = skipBom(bytes, pos, end);
            }
            if (skipLf && pos < end) {
                skipLf = false;
                if (bytes[pos] == LF) {
                    pos++;
                }
            }
            scan(bytes, pos, end);
        } catch (SseLimitExceededException e) {
            fail(e);
            throw e;
        } finally {
            if (dataInChunk != null) {
                keepData(); // the caller may reuse its array once we return
            }
        }
    }

    /** {@code feed(bytes, 0, bytes.length)} */
    public void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    /**
     * End of stream: an unterminated line and an event not yet ended by a blank line are discarded, per the
     * spec. {@link #lastEventId()} and {@link #retryMillis()} keep their values. Calling it again, or on a
     * parser that failed, does nothing.
     */
    public void end() {
        if (ended) {
            return;
        }
        ended = true;
        releaseBuffers();
    }

    /**
     * The last event ID string: {@code ""} (or the seed given to the constructor) until a blank line ends a
     * block after an {@code id:} field. Persists across events; pass it to the next connection's parser.
     */
    public String lastEventId() {
        return lastEventId;
    }

    /** The reconnection time set by the stream's last valid {@code retry:} field, or -1 if none. */
    public long retryMillis() {
        return retryMillis;
    }

    /** Consumes what matches of a leading BOM; returns where the stream proper continues. */
    private int skipBom(byte[] bytes, int pos, int end) {
        while (pos < end && bomMatched < BOM.length) {
            if (bytes[pos] != BOM[bomMatched]) {
                // not a BOM after all: the bytes matched so far start the first line
                int matched = bomMatched;
                bomMatched = BOM.length;
                appendCarry(BOM, 0, matched);
                return pos;
            }
            bomMatched++;
            pos++;
        }
        return pos;
    }

    /** Splits {@code bytes[pos, end)} into lines, carrying an unfinished last line over to the next chunk. */
    private void scan(byte[] bytes, int pos, int end) {
        while (pos < end) {
            // a line end further away than this would make the line too long: stop looking there
            long window = (long) pos + (maxLineBytes - carryLen) + 1;
            int lineEnd = indexOfLineEnd(bytes, pos, window < end ? (int) window : end);
            if (lineEnd < 0) {
                appendCarry(bytes, pos, end - pos);
                return;
            }
            if (carryLen == 0) {
                line(bytes, pos, lineEnd - pos);
            } else {
                appendCarry(bytes, pos, lineEnd - pos);
                int length = carryLen;
                carryLen = 0;
                line(carry, 0, length);
            }
            pos = lineEnd + 1;
            if (bytes[lineEnd] == CR) {
                if (pos == end) {
                    skipLf = true;
                } else if (bytes[pos] == LF) {
                    pos++;
                }
            }
        }
    }

    /**
     * Index of the first CR or LF in {@code bytes[from, to)}, or -1. Eight bytes at a time, in two steps.
     * First a cheap filter: {@code (v - 0x0E…) & ~v & 0x80…} flags the bytes below 0x0E (CR is 0x0D, LF
     * 0x0A), and in text nothing else is that low except the odd tab, so most words pass with three
     * operations. A flagged word is then tested exactly: XOR with a repeated LF (CR) turns matching bytes
     * into zero bytes, and {@code (v - 0x01…) & ~v & 0x80…} flags zero bytes. In both steps a flag above a
     * true one can be false (the subtraction borrows), but the lowest flag is always true, and in
     * little-endian order the lowest flag is the first byte in memory.
     */
    private static int indexOfLineEnd(byte[] bytes, int from, int to) {
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            if (((word - BELOW_CR) & ~word & HIGHS) != 0) {
                long lf = word ^ LFS;
                long cr = word ^ CRS;
                long found = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
                if (found != 0) {
                    return i + (Long.numberOfTrailingZeros(found) >>> 3);
                }
            }
        }
        for (; i < to; i++) {
            byte b = bytes[i];
            if (b == LF || b == CR) {
                return i;
            }
        }
        return -1;
    }

    /** Interprets one line (without its line ending): the spec's "process the line". */
    private void line(byte[] b, int start, int length) {
        if (length == 0) {
            dispatch();
            return;
        }
        int end = start + length;
        // the common case first: "data:" (OpenAI-style streams are nothing else)
        if (length >= 5 && b[start] == 'd' && b[start + 1] == 'a' && b[start + 2] == 't' && b[start + 3] == 'a'
                && b[start + 4] == COLON) {
            int value = start + 5;
            if (value < end && b[value] == SPACE) {
                value++;
            }
            appendData(b, value, end - value);
            return;
        }
        if (b[start] == COLON) {
            listener.onComment(Utf8.decode(b, start + 1, length - 1));
            return;
        }
        int colon = start;
        while (colon < end && b[colon] != COLON) {
            colon++;
        }
        int value = colon;
        if (colon < end) {
            value++;
            if (value < end && b[value] == SPACE) {
                value++;
            }
        }
        field(b, start, colon - start, value, end - value);
    }

    /** The spec's "process the field": names are compared byte for byte, so case-sensitively. */
    private void field(byte[] b, int name, int nameLength, int value, int valueLength) {
        switch (nameLength) {
            case 4 -> {
                if (b[name] == 'd' && b[name + 1] == 'a' && b[name + 2] == 't' && b[name + 3] == 'a') {
                    appendData(b, value, valueLength);
                }
            }
            case 5 -> {
                if (b[name] == 'e' && b[name + 1] == 'v' && b[name + 2] == 'e' && b[name + 3] == 'n'
                        && b[name + 4] == 't') {
                    eventField(b, value, valueLength);
                } else if (b[name] == 'r' && b[name + 1] == 'e' && b[name + 2] == 't' && b[name + 3] == 'r'
                        && b[name + 4] == 'y') {
                    retryField(b, value, valueLength);
                }
            }
            case 2 -> {
                if (b[name] == 'i' && b[name + 1] == 'd') {
                    idField(b, value, valueLength);
                }
            }
            default -> {
                // any other field is ignored
            }
        }
    }

    private void appendData(byte[] b, int from, int length) {
        if (!hasData && b != carry) {
            // the usual single-line event: its value stays where it is until the blank line
            if (length > maxEventBytes) {
                throw eventTooBig();
            }
            dataInChunk = b;
            dataOffset = from;
            dataLen = length;
            hasData = true;
            return;
        }
        if (dataInChunk != null) {
            keepData();
        }
        long needed = hasData ? (long) dataLen + 1 + length : length;
        if (needed > maxEventBytes) {
            throw eventTooBig();
        }
        if (needed > data.length) {
            data = Arrays.copyOf(data, capacity(data.length, (int) needed, maxEventBytes));
        }
        if (hasData) {
            data[dataLen++] = LF;
        }
        System.arraycopy(b, from, data, dataLen, length);
        dataLen += length;
        hasData = true;
    }

    /** Copies a data value left in the caller's chunk into {@link #data}. */
    private void keepData() {
        if (dataLen > data.length) {
            data = Arrays.copyOf(data, capacity(data.length, dataLen, maxEventBytes));
        }
        System.arraycopy(dataInChunk, dataOffset, data, 0, dataLen);
        dataInChunk = null;
    }

    private SseLimitExceededException eventTooBig() {
        return new SseLimitExceededException(
                "event too big: its data exceeds maxEventBytes=" + maxEventBytes + " bytes");
    }

    private void eventField(byte[] b, int from, int length) {
        if (length == 0) {
            eventType = null;
        } else if (typeString != null && Arrays.equals(typeBytes, 0, typeLen, b, from, from + length)) {
            eventType = typeString;
        } else {
            typeBytes = copyInto(typeBytes, b, from, length);
            typeLen = length;
            typeString = Utf8.decode(b, from, length);
            eventType = typeString;
        }
    }

    private void idField(byte[] b, int from, int length) {
        int end = from + length;
        for (int i = from; i < end; i++) {
            if (b[i] == 0) {
                return; // an id containing U+0000 is ignored
            }
        }
        if (idString == null || !Arrays.equals(idBytes, 0, idLen, b, from, end)) {
            idBytes = copyInto(idBytes, b, from, length);
            idLen = length;
            idString = Utf8.decode(b, from, length);
        }
        idBuffer = idString;
    }

    private void retryField(byte[] b, int from, int length) {
        if (length == 0) {
            return;
        }
        long millis = 0;
        for (int i = from, end = from + length; i < end; i++) {
            int digit = b[i] - '0';
            if (digit < 0 || digit > 9) {
                return; // not only ASCII digits: ignored
            }
            // saturate rather than overflow: "retry: 99999999999999999999" means "a very long time"
            millis = millis > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : millis * 10 + digit;
        }
        retryMillis = millis;
        listener.onRetry(millis);
    }

    /** The spec's "dispatch the event", run at every blank line. */
    private void dispatch() {
        lastEventId = idBuffer;
        if (!hasData) {
            eventType = null;
            return;
        }
        String value;
        if (dataInChunk != null) {
            value = Utf8.decode(dataInChunk, dataOffset, dataLen);
            dataInChunk = null;
        } else {
            value = Utf8.decode(data, 0, dataLen);
        }
        String type = eventType == null ? SseEvent.DEFAULT_TYPE : eventType;
        dataLen = 0;
        hasData = false;
        eventType = null;
        if (data.length > RETAINED_CAPACITY) {
            data = EMPTY;
        }
        listener.onEvent(new SseEvent(type, value, lastEventId));
    }

    /** Appends to the unfinished line, or throws if that would make it longer than allowed. */
    private void appendCarry(byte[] b, int from, int length) {
        long needed = (long) carryLen + length;
        if (needed > maxLineBytes) {
            throw new SseLimitExceededException("line too long: exceeds maxLineBytes=" + maxLineBytes + " bytes");
        }
        if (needed > carry.length) {
            carry = Arrays.copyOf(carry, capacity(carry.length, (int) needed, maxLineBytes));
        }
        System.arraycopy(b, from, carry, carryLen, length);
        carryLen += length;
    }

    /** Doubles, but never past the limit, so memory stays within it. */
    private static int capacity(int current, int needed, int limit) {
        long doubled = Math.max(INITIAL_CAPACITY, 2L * current);
        return (int) Math.max(needed, Math.min(doubled, limit));
    }

    private static byte[] copyInto(byte[] target, byte[] source, int from, int length) {
        byte[] result = target.length >= length ? target : new byte[Math.max(length, INITIAL_CAPACITY / 4)];
        System.arraycopy(source, from, result, 0, length);
        return result;
    }

    private void fail(SseLimitExceededException e) {
        failure = e;
        releaseBuffers();
    }

    private void releaseBuffers() {
        carry = EMPTY;
        carryLen = 0;
        skipLf = false;
        data = EMPTY;
        dataInChunk = null;
        dataLen = 0;
        hasData = false;
        eventType = null;
    }
}
