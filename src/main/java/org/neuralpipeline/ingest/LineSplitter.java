package org.neuralpipeline.ingest;

import java.util.Arrays;

/**
 * Splits bytes into lines at LF (a CR before it is dropped), each at most {@code maxLineBytes}. A longer line is
 * not kept: its bytes are skipped up to its LF and it is reported as too long, so one oversized line costs no
 * memory and does not disturb its neighbours. Not thread-safe: one per connection or body.
 */
final class LineSplitter {
    /** Receives lines in order; {@code number} counts from 1 and includes blank and oversized lines. */
    interface Listener {
        /** A line without its line ending; the array is reused after the call returns. */
        void line(int number, byte[] bytes, int length);

        void tooLong(int number);
    }

    private final int maxLineBytes;
    private final Listener listener;
    private byte[] line = new byte[256];
    private int length;
    private boolean skipping;
    private int number;

    LineSplitter(int maxLineBytes, Listener listener) {
        this.maxLineBytes = maxLineBytes;
        this.listener = listener;
    }

    void feed(byte[] bytes, int offset, int count) {
        for (int i = offset; i < offset + count; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                endLine();
            } else if (!skipping) {
                if (length > maxLineBytes) { // one more than the limit is allowed for a CR
                    skipping = true;
                    length = 0;
                    continue;
                }
                if (length == line.length) {
                    line = Arrays.copyOf(line, Math.min(line.length * 2, maxLineBytes + 2));
                }
                line[length++] = b;
            }
        }
    }

    /** The input ended: a last line without LF counts as a line. */
    void end() {
        if (length > 0 || skipping) {
            endLine();
        }
    }

    private void endLine() {
        number++;
        int n = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        boolean tooLong = skipping || n > maxLineBytes;
        skipping = false;
        length = 0;
        if (tooLong) {
            listener.tooLong(number);
        } else {
            listener.line(number, line, n);
        }
    }
}
