package org.neuralpipeline.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Finds the non-standard {@code error: {…}} line that older llama.cpp servers wrote into an event stream
 * (conformance checklist item 5). {@code error} is not an SSE field, so a spec parser rightly ignores the
 * line; this scanner looks at the same bytes, at line starts only, and hands out the line's value.
 *
 * <p>It is a byte-at-a-time state machine over every chunk, which costs one extra pass over a stream that
 * moves a few kilobytes per second; CR, LF and CRLF end lines as in SSE, and a line split across chunks is
 * matched. TODO(checklist item 5): replace with the SSE parser's listener hook for unknown fields once it
 * exists, so the bytes are read once.
 */
final class LegacyErrorLine {
    private static final byte[] PREFIX = "error:".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_VALUE_BYTES = 8 * 1024;

    /** How many bytes of {@link #PREFIX} the current line matched; -1 once it cannot match. */
    private int matched;
    private boolean capturing;
    private boolean skipSpace;
    private final ByteArrayOutputStream value = new ByteArrayOutputStream();
    private String found;

    /** Scans the next bytes; returns the value of the first complete {@code error:} line, once, else null. */
    String scan(byte[] bytes, int offset, int length) {
        if (found != null) {
            return null;
        }
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n' || b == '\r') {
                if (capturing) {
                    found = value.toString(StandardCharsets.UTF_8);
                    return found;
                }
                matched = 0;
                continue;
            }
            if (capturing) {
                if (skipSpace) {
                    skipSpace = false;
                    if (b == ' ') {
                        continue;
                    }
                }
                if (value.size() < MAX_VALUE_BYTES) {
                    value.write(b);
                }
            } else if (matched >= 0) {
                if (b == PREFIX[matched]) {
                    matched++;
                    if (matched == PREFIX.length) {
                        capturing = true;
                        skipSpace = true;
                    }
                } else {
                    matched = -1;
                }
            }
        }
        return null;
    }
}
