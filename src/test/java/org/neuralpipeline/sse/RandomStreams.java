package org.neuralpipeline.sse;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;

/** Random event streams made of the pieces a parser can get wrong, for differential tests. */
final class RandomStreams {
    private static final byte[][] PIECES = pieces(
            "data", "data", "data", "event", "id", "retry", "Data", "dat", "datas", "x", "abc",
            ":", ":", ": ", " ", "  ", "\t",
            "\n", "\n", "\n", "\r", "\r", "\r\n", "\r\n", "\n\n", "\r\r",
            "0", "123", "99999999999999999999", "-1",
            "\u00e9", "\u20ac", "\uD83D\uDE00", "\uFEFF", "\u2028", "\0");
    private static final byte[][] RAW = {
        {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, {(byte) 0xEF, (byte) 0xBB}, {(byte) 0xEF},
        {(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {(byte) 0xF4, (byte) 0x90}};

    private RandomStreams() {
    }

    static byte[] next(SplittableRandom random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (random.nextInt(4) == 0) {
            out.writeBytes(RAW[random.nextInt(3)]); // a BOM, or the start of one
        }
        int pieces = random.nextInt(0, 40);
        for (int i = 0; i < pieces; i++) {
            out.writeBytes(random.nextInt(6) == 0 ? RAW[random.nextInt(RAW.length)]
                    : PIECES[random.nextInt(PIECES.length)]);
        }
        return out.toByteArray();
    }

    /** 0 to 5 ascending cut offsets in [0, length]. */
    static int[] cuts(SplittableRandom random, int length) {
        return random.ints(random.nextInt(0, 6), 0, length + 1).sorted().toArray();
    }

    private static byte[][] pieces(String... texts) {
        byte[][] result = new byte[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            result[i] = texts[i].getBytes(UTF_8);
        }
        return result;
    }
}
