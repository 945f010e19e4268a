package org.neuralpipeline.broadcast;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.neuralpipeline.sse.SseEncoder;
import org.neuralpipeline.sse.SseEvent;

/**
 * One message as the wire carries it, shared by every viewer: its JSON (a WebSocket text frame's payload, a line
 * of {@code /v1/neural/recent}) and, made on first use, its SSE event and its whole WebSocket frame. The bytes
 * are shared: never modify them.
 *
 * <p>A frame starts out holding its message, not its bytes: the hub makes the JSON with {@link #encode} the first
 * time someone reads the frame (a viewer's filter accepts it, a resuming viewer or {@code /recent} takes it from
 * the ring), on the hub's thread, once; the message is let go then. Type, request id and model, all that
 * filters look at, are there from the start. A frame reaches a {@link Subscriber} only once encoded.
 */
public final class Frame {
    /** Turns a message into its JSON: the hub's, so that all encoding runs on its thread with its buffers. */
    @FunctionalInterface
    interface Encoder {
        /** The JSON, {@code seq} first (none for 0); null when it cannot be encoded (the encoder reports that). */
        byte[] encode(long seq, BroadcastMessage message);
    }

    private final long seq;
    private final String type;
    private final String requestId;
    private final String model;
    private final boolean lifecycle;
    private final long publishedNanos;
    /** Until encoded (hub thread); null after, whether that worked or not. */
    private BroadcastMessage message;
    /**
     * Null until encoded, and for good when that failed. Written on the hub's thread before the frame is handed
     * to any subscriber; volatile so that a connection's thread reading it needs no other guarantee.
     */
    private volatile byte[] json;
    private volatile byte[] sse;
    private volatile ByteBuf webSocket;

    Frame(long seq, BroadcastMessage message, long publishedNanos) {
        this.seq = seq;
        this.type = message.type();
        this.requestId = message.requestId();
        this.model = message.model();
        this.lifecycle = BroadcastHub.LIFECYCLE_TYPES.contains(type);
        this.message = message;
        this.publishedNanos = publishedNanos;
    }

    /**
     * Makes the JSON with {@code encoder} unless that was done (or tried) before, so a message is encoded, or
     * reported as unencodable, at most once. Hub thread only.
     *
     * @return whether the frame has its bytes: false when its message cannot be encoded, and the frame must be
     *     skipped wherever it would have gone
     */
    boolean encode(Encoder encoder) {
        BroadcastMessage m = message;
        if (m != null) {
            message = null; // the bytes replace it; after a failure there is nothing more to try
            json = encoder.encode(seq, m);
        }
        return json != null;
    }

    /** The sequence number, 1 and up; 0 for a message addressed to one viewer only ({@code Dropped}). */
    public long seq() {
        return seq;
    }

    public String type() {
        return type;
    }

    String requestId() {
        return requestId;
    }

    String model() {
        return model;
    }

    /** StreamStarted, StreamEnded and Dropped: never dropped for a slow viewer. */
    boolean lifecycle() {
        return lifecycle;
    }

    /**
     * The message as UTF-8 JSON, one object on one line. Shared: read only.
     *
     * @throws IllegalStateException when the hub has not encoded the frame (a bug: such a frame must not have
     *     left the hub) or could not
     */
    public byte[] json() {
        byte[] bytes = json;
        if (bytes == null) {
            throw new IllegalStateException("frame " + seq + " (" + type + ") has no JSON: the hub has not encoded it,"
                    + " or could not");
        }
        return bytes;
    }

    long publishedNanos() {
        return publishedNanos;
    }

    /** The SSE event: {@code id: SEQ} (none for seq 0) and {@code data: JSON}. Shared: read only. */
    public byte[] sse() {
        byte[] bytes = sse;
        if (bytes == null) {
            // racing threads compute the same bytes; whichever array wins is as good as the other
            bytes = SseEncoder.encodeToBytes(new SseEvent(SseEvent.DEFAULT_TYPE, new String(json(), UTF_8),
                    seq == 0 ? "" : Long.toString(seq)));
            sse = bytes;
        }
        return bytes;
    }

    /**
     * The whole WebSocket text frame, header and payload, as a server sends it (unmasked, one final frame), for
     * one write: every viewer's socket gets the same bytes, so they are framed once, not once per viewer, and
     * kept off the heap so that a socket write does not copy them into a native buffer first (which Netty does
     * for heap buffers). The memory is the JDK's, freed with the frame; the returned view's release is a no-op.
     */
    ByteBuf webSocketFrame() {
        ByteBuf frame = webSocket;
        if (frame == null) {
            byte[] payload = json();
            int length = payload.length;
            int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
            ByteBuffer bytes = ByteBuffer.allocateDirect(header + length);
            bytes.put((byte) 0x81); // FIN, text
            if (header == 2) {
                bytes.put((byte) length);
            } else if (header == 4) {
                bytes.put((byte) 126).putShort((short) length);
            } else {
                bytes.put((byte) 127).putLong(length);
            }
            bytes.put(payload).flip();
            // racing threads frame the same bytes; whichever buffer wins is as good as the other
            frame = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
            webSocket = frame;
        }
        return frame.duplicate();
    }

    /** The JSON text once encoded; else the seq and type, as this is also what a debugger shows. */
    @Override
    public String toString() {
        byte[] bytes = json;
        return bytes != null ? new String(bytes, UTF_8) : "Frame " + seq + " (" + type + "), not encoded";
    }
}
