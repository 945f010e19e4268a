package org.neuralpipeline.visual;

import java.nio.charset.StandardCharsets;

/**
 * Where a token goes on the viewer's canvas: its id, and the id's point on a Hilbert curve. Pure functions of
 * the configuration, so every run and every machine place a token at the same point.
 *
 * <ul>
 *   <li>A token without an upstream id gets the 32-bit FNV-1a hash of its UTF-8 bytes (offset basis
 *       {@code 0x811c9dc5}, prime {@code 0x01000193}), read as unsigned, modulo the vocabulary size.</li>
 *   <li>An id {@code d} is the point {@code d mod 4^order} of the Hilbert curve on a {@code 2^order} square grid
 *       (the classic {@code d2xy}: the curve starts at (0,0) and ends at (2^order - 1, 0)); each coordinate is
 *       divided by {@code 2^order - 1}, so the corners are 0 and 1. Neighbouring ids land on neighbouring
 *       cells, which is why a Hilbert curve rather than rows.</li>
 * </ul>
 */
final class TokenSpace {
    private static final int FNV_OFFSET_BASIS = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private final int vocabularySize;
    private final int order;
    private final long side;
    private final long cells;

    TokenSpace(int vocabularySize, int order) {
        if (vocabularySize < 1 || order < 1 || order > 16) {
            throw new IllegalArgumentException("vocabularySize " + vocabularySize + ", order " + order
                    + " (expected: 1 or more, 1 to 16)");
        }
        this.vocabularySize = vocabularySize;
        this.order = order;
        this.side = 1L << order;
        this.cells = side * side;
    }

    /** FNV-1a, 32 bits, of the bytes, as an unsigned value. */
    static long fnv1a32(byte[] bytes) {
        int hash = FNV_OFFSET_BASIS;
        for (byte b : bytes) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return Integer.toUnsignedLong(hash);
    }

    /** The id of a token the upstream gave no id for. */
    int hashId(String token) {
        return (int) (fnv1a32(token.getBytes(StandardCharsets.UTF_8)) % vocabularySize);
    }

    /** The cell {x, y} of index {@code d} on the Hilbert curve of order {@code order} (0 ≤ d < 4^order). */
    static long[] d2xy(int order, long d) {
        long n = 1L << order;
        long x = 0;
        long y = 0;
        long t = d;
        for (long s = 1; s < n; s *= 2) {
            long rx = 1 & (t / 2);
            long ry = 1 & (t ^ rx);
            if (ry == 0) { // rotate the quadrant
                if (rx == 1) {
                    x = s - 1 - x;
                    y = s - 1 - y;
                }
                long swap = x;
                x = y;
                y = swap;
            }
            x += s * rx;
            y += s * ry;
            t /= 4;
        }
        return new long[] {x, y};
    }

    /** The point of a token id, each coordinate in [0, 1]. */
    double[] position(long tokenId) {
        long[] xy = d2xy(order, Math.floorMod(tokenId, cells));
        double max = side - 1;
        return new double[] {xy[0] / max, xy[1] / max};
    }
}
