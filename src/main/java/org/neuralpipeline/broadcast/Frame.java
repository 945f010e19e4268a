package org.neuralpipeline.broadcast;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.neuralpipeline.sse.SseEncoder;
import org.neuralpipeline.sse.SseEvent;

/**
 * One message as the wire carries it, encoded once by the hub and shared by every viewer: its JSON (a
 * WebSocket text frame's payload, a line of {@code /v1/neural/recent}) and, made on first use, its SSE event
 * and its whole WebSocket frame. The bytes are shared: never modify them.
 */
public final class Frame {
    private final long seq;
    private final String type;
    private final String requestId;
    private final String model;
    private final boolean lifecycle;
    private final byte[] json;
    private final long publishedNanos;
    private volatile byte[] sse;
    private volatile ByteBuf webSocket;

    Frame(long seq, String type, String requestId, String model, byte[] json, long publishedNanos) {
        this.seq = seq;
        this.type = type;
        this.requestId = requestId;
        this.model = model;
        this.lifecycle = BroadcastHub.LIFECYCLE_TYPES.contains(type);
        this.json = json;
        this.publishedNanos = publishedNanos;
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

    /** The message as UTF-8 JSON, one object on one line. Shared: read only. */
    public byte[] json() {
        return json;
    }

    long publishedNanos() {
        return publishedNanos;
    }

    /** The SSE event: {@code id: SEQ} (none for seq 0) and {@code data: JSON}. Shared: read only. */
    public byte[] sse() {
        byte[] bytes = sse;
        if (bytes == null) {
            // racing threads compute the same bytes; whichever array wins is as good as the other
            bytes = SseEncoder.encodeToBytes(new SseEvent(SseEvent.DEFAULT_TYPE, new String(json, UTF_8),
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
            int length = json.length;
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
            bytes.put(json).flip();
            // racing threads frame the same bytes; whichever buffer wins is as good as the other
            frame = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
            webSocket = frame;
        }
        return frame.duplicate();
    }

    @Override
    public String toString() {
        return new String(json, UTF_8);
    }
}
