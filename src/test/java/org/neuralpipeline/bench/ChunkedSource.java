package org.neuralpipeline.bench;

import okio.Buffer;
import okio.Source;
import okio.Timeout;

/** An okio {@link Source} over a byte array that hands out at most {@code chunkBytes} per read, like a socket. */
final class ChunkedSource implements Source {
    private final byte[] bytes;
    private final int chunkBytes;
    private int position;

    ChunkedSource(byte[] bytes, int chunkBytes) {
        this.bytes = bytes;
        this.chunkBytes = chunkBytes;
    }

    @Override
    public long read(Buffer sink, long byteCount) {
        if (position == bytes.length) {
            return -1;
        }
        int n = (int) Math.min(Math.min(chunkBytes, byteCount), bytes.length - position);
        sink.write(bytes, position, n);
        position += n;
        return n;
    }

    @Override
    public Timeout timeout() {
        return Timeout.NONE;
    }

    @Override
    public void close() {
    }
}
