package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Utf8} against vectors worked by hand from the WHATWG Encoding Standard's UTF-8 decoder (not from
 * the JDK, whose decoder differs on some invalid input). Each vector checks both entry points: the
 * standard's algorithm itself and the fast path that uses the JDK first.
 */
class Utf8Test {
    private static final String R = "\uFFFD";

    private static void assertDecodes(String hex, String expected) {
        byte[] bytes = HexFormat.ofDelimiter(" ").parseHex(hex);
        // decode from inside a larger array, so that offset handling is exercised too
        byte[] padded = new byte[bytes.length + 4];
        padded[0] = padded[1] = (byte) 0xE2;
        padded[padded.length - 1] = padded[padded.length - 2] = (byte) 0x82;
        System.arraycopy(bytes, 0, padded, 2, bytes.length);
        assertThat(Utf8.decodeWhatwg(padded, 2, bytes.length)).as("WHATWG decoder, %s", hex).isEqualTo(expected);
        assertThat(Utf8.decode(padded, 2, bytes.length)).as("fast path, %s", hex).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} is {2}")
    @CsvSource(delimiter = '|', value = {
        // hex           | code point | name
        "7F              | 007F       | last one-byte",
        "C2 80           | 0080       | first two-byte",
        "DF BF           | 07FF       | last two-byte",
        "E0 A0 80        | 0800       | first three-byte (E0 lower bound A0)",
        "ED 9F BF        | D7FF       | last before the surrogates (ED upper bound 9F)",
        "EE 80 80        | E000       | first after the surrogates",
        "EF BF BD        | FFFD       | a genuine replacement character",
        "EF BF BF        | FFFF       | last three-byte",
        "F0 90 80 80     | 10000      | first four-byte (F0 lower bound 90)",
        "F4 8F BF BF     | 10FFFF     | last code point (F4 upper bound 8F)",
    })
    void validBoundaryCharactersDecodeToTheirCodePoint(String hex, String codePoint, String name) {
        assertDecodes(hex, Character.toString(Integer.parseInt(codePoint, 16)));
    }

    @Test
    void emptyInputIsEmpty() {
        assertDecodes("", "");
    }

    @Test
    void overlongFormsGiveOneReplacementPerByte() {
        // C0 and C1 are never lead bytes: U+FFFD; 80 is then a lone continuation byte: U+FFFD
        assertDecodes("C0 80", R + R);
        assertDecodes("C1 BF", R + R);
        // E0 needs A0..BF next: 80 ends the sequence (U+FFFD for E0), 80 is reprocessed (lone), 80 again
        assertDecodes("E0 80 80", R + R + R);
        // F0 needs 90..BF next: same pattern, four replacements
        assertDecodes("F0 80 80 80", R + R + R + R);
    }

    @Test
    void surrogatesAreInvalid() {
        // ED allows only 80..9F next: A0 ends it (U+FFFD), then A0 and 80 are lone continuation bytes.
        // The JDK's decoder gives a single U+FFFD here (and for "ED A0" at the end): one of the inputs
        // where it and the standard disagree, so this vector fails if the fast path's result leaks out
        assertDecodes("ED A0 80", R + R + R);
        assertDecodes("ED A0", R + R);
        // a UTF-8 encoded surrogate pair (CESU-8) is six bytes of garbage: six replacements
        assertDecodes("ED A0 BD ED B8 80", R.repeat(6));
    }

    @Test
    void codePointsAboveMaximumAreInvalid() {
        // F4 allows only 80..8F next: 90 ends it, then 90 80 80 are lone: four replacements
        assertDecodes("F4 90 80 80", R.repeat(4));
        // F5..F7 would start U+140000 and above: never lead bytes, each byte one replacement
        assertDecodes("F5 80 80 80", R.repeat(4));
    }

    @Test
    void bytesThatNeverOccurInUtf8AreEachOneReplacement() {
        assertDecodes("F5 F6 F7 F8 F9 FA FB FC FD FE FF", R.repeat(11));
        assertDecodes("61 FF 62", "a" + R + "b");
    }

    @Test
    void loneContinuationBytesAreEachOneReplacement() {
        assertDecodes("80", R);
        assertDecodes("BF", R);
        assertDecodes("80 BF 80", R + R + R);
        // after a complete character, a further continuation byte is lone
        assertDecodes("C3 A9 A9", "\u00e9" + R);
    }

    @Test
    void truncatedSequenceBeforeAsciiIsOneReplacementThenTheAsciiCharacter() {
        // the ASCII byte is outside 80..BF: one U+FFFD for the bytes so far, then it is decoded itself
        assertDecodes("C3 41", R + "A");
        assertDecodes("E2 82 0A", R + "\n");
        assertDecodes("F0 9F 98 3A", R + ":");
        assertDecodes("E2 20", R + " ");
        assertDecodes("F0 9F 00", R + "\0");
        assertDecodes("E2 0D", R + "\r");
    }

    @Test
    void truncatedSequenceAtEndIsOneReplacement() {
        assertDecodes("C3", R);
        assertDecodes("E2 82", R);
        assertDecodes("F0 9F 98", R);
        assertDecodes("61 F4 8F BF", "a" + R);
    }

    @Test
    void truncatedSequenceFollowedByAnotherLeadByteReplacesOnlyTheTruncatedPart() {
        // E2 82 then C3 A9: C3 is not a continuation byte, so E2 82 is one U+FFFD and C3 A9 is é
        assertDecodes("E2 82 C3 A9", R + "\u00e9");
        // F0 then F0 9F 98 80: the first F0 alone is one U+FFFD
        assertDecodes("F0 F0 9F 98 80", R + "\uD83D\uDE00");
    }

    @Test
    void wellFormedMixedTextDecodesExactly() {
        assertDecodes("68 C3 A9 E2 82 AC F0 9F 98 80 21", "h\u00e9\u20ac\uD83D\uDE00!");
    }

    /** The fast path may only ever differ from the standard in speed: check on many random inputs. */
    @Test
    void fastPathAgreesWithTheStandardOnRandomBytes() {
        SplittableRandom random = new SplittableRandom(20_240_521);
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = randomUtf8ish(random, random.nextInt(0, 40));
            assertThat(Utf8.decode(bytes, 0, bytes.length))
                    .as("%s", HexFormat.ofDelimiter(" ").formatHex(bytes))
                    .isEqualTo(Utf8.decodeWhatwg(bytes, 0, bytes.length));
        }
    }

    /**
     * The property the parser relies on: decoding the pieces between ASCII delimiters separately gives the
     * same characters as decoding the whole, for any bytes around the delimiter.
     */
    @Test
    void decodingAroundAnAsciiDelimiterEqualsDecodingTheWhole() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] delimiters = {'\r', '\n', ':', ' ', 0};
        for (int round = 0; round < 20_000; round++) {
            byte[] left = randomUtf8ish(random, random.nextInt(0, 12));
            byte[] right = randomUtf8ish(random, random.nextInt(0, 12));
            byte delimiter = delimiters[random.nextInt(delimiters.length)];
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            whole.writeBytes(left);
            whole.write(delimiter);
            whole.writeBytes(right);
            byte[] all = whole.toByteArray();
            assertThat(Utf8.decodeWhatwg(left, 0, left.length) + (char) delimiter
                    + Utf8.decodeWhatwg(right, 0, right.length))
                    .isEqualTo(Utf8.decodeWhatwg(all, 0, all.length));
        }
    }

    /** Mostly fragments of valid sequences, so that truncations and boundary bytes come up often. */
    static byte[] randomUtf8ish(SplittableRandom random, int length) {
        int[] interesting = {0x00, 0x0A, 0x0D, 0x20, 0x3A, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
            0xC1, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (random.nextBoolean() ? interesting[random.nextInt(interesting.length)]
                    : random.nextInt(256));
        }
        return bytes;
    }
}
