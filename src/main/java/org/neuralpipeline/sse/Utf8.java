package org.neuralpipeline.sse;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 decoding exactly as the WHATWG Encoding Standard's "UTF-8 decoder" defines it, which is what the
 * event-stream spec requires ("UTF-8 decode" the stream; invalid bytes become U+FFFD).
 *
 * <p>How this works and why: {@link #decode} first lets the JDK decode ({@code new String(…, UTF_8)} is
 * intrinsified and, for ASCII, little more than a copy). On valid input the JDK and the standard agree
 * exactly. They may disagree only on invalid input, and invalid input always produces at least one
 * U+FFFD in the JDK's output, so only when the result contains U+FFFD do we decode again with
 * {@link #decodeWhatwg}, the standard's algorithm written out step by step. A genuine U+FFFD in valid
 * input (bytes EF BF BD) decodes the same either way, so the second pass is merely wasted, never wrong.
 * {@code indexOf('\uFFFD')} costs nothing for a Latin-1 compact string, which is what all-ASCII input
 * yields.
 *
 * <p>Why the parser may decode piece by piece: CR, LF, ':', ' ' and NUL are ASCII bytes, and an ASCII
 * byte never occurs inside a valid multi-byte sequence. In the standard's decoder an ASCII byte that
 * arrives while a sequence is incomplete yields exactly one U+FFFD for the incomplete part and is then
 * itself decoded as that ASCII character; and end of input in the middle of a sequence also yields
 * exactly one U+FFFD. So decoding a stream whole and decoding separately each run of bytes between such
 * ASCII delimiters give the same characters. The parser therefore splits lines, finds the colon, strips
 * the space and looks for NUL on bytes, and decodes only the values it hands out.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /** Decodes {@code length} bytes from {@code offset} exactly as the WHATWG UTF-8 decoder would. */
    static String decode(byte[] bytes, int offset, int length) {
        String fast = new String(bytes, offset, length, StandardCharsets.UTF_8);
        return fast.indexOf(REPLACEMENT) < 0 ? fast : decodeWhatwg(bytes, offset, length);
    }

    /**
     * The Encoding Standard's UTF-8 decoder, step for step (section "UTF-8 decoder"): bytes needed and
     * seen, a code point under construction, and the lower and upper bounds of the next continuation
     * byte, which are narrowed after E0, ED, F0 and F4 to exclude overlong forms, surrogates and code
     * points above U+10FFFF. One U+FFFD per maximal invalid subsequence; a byte that ends a sequence
     * early is decoded again on its own.
     */
    static String decodeWhatwg(byte[] bytes, int offset, int length) {
        // at most one char per byte, or two (a surrogate pair) per four bytes
        char[] out = new char[length];
        int n = 0;
        int codePoint = 0;
        int bytesSeen = 0;
        int bytesNeeded = 0;
        int lower = 0x80;
        int upper = 0xBF;
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int b = bytes[i] & 0xFF;
            if (bytesNeeded == 0) {
                i++;
                if (b <= 0x7F) {
                    out[n++] = (char) b;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    bytesNeeded = 1;
                    codePoint = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    if (b == 0xE0) {
                        lower = 0xA0;
                    } else if (b == 0xED) {
                        upper = 0x9F;
                    }
                    bytesNeeded = 2;
                    codePoint = b & 0xF;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    if (b == 0xF0) {
                        lower = 0x90;
                    } else if (b == 0xF4) {
                        upper = 0x8F;
                    }
                    bytesNeeded = 3;
                    codePoint = b & 0x7;
                } else {
                    out[n++] = REPLACEMENT;
                }
                continue;
            }
            if (b < lower || b > upper) {
                // the sequence ended early: one U+FFFD for it, and this byte is processed again (not consumed)
                codePoint = 0;
                bytesNeeded = 0;
                bytesSeen = 0;
                lower = 0x80;
                upper = 0xBF;
                out[n++] = REPLACEMENT;
                continue;
            }
            i++;
            lower = 0x80;
            upper = 0xBF;
            codePoint = (codePoint << 6) | (b & 0x3F);
            bytesSeen++;
            if (bytesSeen == bytesNeeded) {
                n += Character.toChars(codePoint, out, n);
                codePoint = 0;
                bytesNeeded = 0;
                bytesSeen = 0;
            }
        }
        if (bytesNeeded != 0) {
            out[n++] = REPLACEMENT;
        }
        return new String(out, 0, n);
    }
}
