package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Jazzer fuzz tests of the parser and the encoder.
 *
 * <p>In a normal {@code mvn test} these run in Jazzer's regression mode: each method runs once on an
 * empty input and once per seed file in
 * {@code src/test/resources/org/neuralpipeline/sse/SseParserFuzzTestInputs/<method name>/}. Seeds are
 * raw fuzzer input: the event stream first, then the few control bytes that each method reads from the
 * <em>end</em> of the input (Jazzer's {@code FuzzedDataProvider} takes numbers from the end and the
 * remaining bytes from the start), as the method's comment describes.
 *
 * <p>To fuzz for real (coverage-guided, libFuzzer; checked on JDK 25 with Jazzer 0.30.0):
 * {@code JAZZER_FUZZ=1 mvn test -Dtest=SseParserFuzzTest} fuzzes one method ({@code anySplitGivesTheSameEvents})
 * and reports the others skipped; choose one with {@code -Dtest='SseParserFuzzTest#onlyLimitErrorsEscape'}.
 * Each runs for its {@code maxDuration} (5 minutes) unless {@code -Djazzer.max_duration=60s} says otherwise.
 * The growing corpus goes to {@code .cifuzz-corpus/} (not committed); an input that fails is written into
 * the seed directory above, so that the next plain {@code mvn test} replays it: keep it there once fixed.
 *
 * <p>Most of this class's time in a plain run is Jazzer installing its agent and hooks (about 25 s here,
 * 3 s with {@code -Djazzer.hooks=false}); the seeds themselves take well under a second.
 */
class SseParserFuzzTest {

    /**
     * The same events, comments, retry values, last event ID and verdict on limits whatever the chunking;
     * and, when no limit applies, the same as the literal transcription of the spec.
     * Reads from the end: a limits byte (below 128: the 1 MiB defaults; else both limits are
     * {@code byte - 127}), a count of cuts (0 to 8), then each cut (two bytes, modulo the length + 1).
     */
    @FuzzTest(maxDuration = "5m")
    void anySplitGivesTheSameEvents(FuzzedDataProvider data) {
        int limits = data.consumeInt(0, 255);
        int limit = limits < 128 ? SseParser.DEFAULT_MAX_BYTES : limits - 127;
        int[] cuts = new int[data.consumeInt(0, 8)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 65_535);
        }
        byte[] stream = data.consumeRemainingAsBytes();
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] %= stream.length + 1;
        }
        Arrays.sort(cuts);

        ParserHarness.Outcome whole = ParserHarness.parseSplit(stream, new int[0], limit, limit);
        ParserHarness.Outcome split = ParserHarness.parseSplit(stream, cuts, limit, limit);
        assertThat(split).as("cut at %s", Arrays.toString(cuts)).isEqualTo(whole);
        if (limit == SseParser.DEFAULT_MAX_BYTES) {
            assertThat(whole).isEqualTo(ReferenceParser.parse(stream));
        }
    }

    /**
     * Arbitrary bytes under tiny limits, in chunks of one size: nothing but {@link SseLimitExceededException}
     * may escape, a failed parser keeps failing, and what it reports stays within the limits.
     * Reads from the end: the line limit, the event limit and the chunk size, one byte each (1 to 64).
     */
    @FuzzTest(maxDuration = "5m")
    void onlyLimitErrorsEscape(FuzzedDataProvider data) {
        int maxLine = data.consumeInt(1, 64);
        int maxEvent = data.consumeInt(1, 64);
        int chunk = data.consumeInt(1, 64);
        byte[] stream = data.consumeRemainingAsBytes();
        ParserHarness.Recorder recorder = new ParserHarness.Recorder();
        SseParser parser = new SseParser(recorder, maxLine, maxEvent);
        try {
            for (int from = 0; from < stream.length; from += chunk) {
                parser.feed(stream, from, Math.min(chunk, stream.length - from));
            }
            parser.end();
        } catch (SseLimitExceededException e) {
            assertThatThrownBy(() -> parser.feed(stream)).isInstanceOf(SseLimitExceededException.class);
            parser.end();
        }
        for (SseEvent event : recorder.events) {
            assertThat(event.data().length()).isLessThanOrEqualTo(maxEvent); // at most one char per byte
            assertThat(event.data()).doesNotContain("\r");
            assertThat(event.type()).isNotEmpty().doesNotContain("\r", "\n");
            assertThat(event.id()).doesNotContain("\r", "\n", "\0");
        }
        assertThat(parser.lastEventId()).doesNotContain("\r", "\n", "\0");
        assertThat(parser.retryMillis()).isGreaterThanOrEqualTo(-1);
    }

    /**
     * The encoder rejects exactly the events it cannot write, and parsing what it writes gives the event
     * back (CR and CRLF in the data read as LF; a lone surrogate, which UTF-8 cannot carry, as U+FFFD).
     * Reads: the type and the id (up to 40 chars each) from the start, the data from the rest.
     */
    @FuzzTest(maxDuration = "5m")
    void encodedEventsParseBack(FuzzedDataProvider data) {
        String type = data.consumeString(40);
        String id = data.consumeString(40);
        String text = data.consumeRemainingAsString();
        SseEvent event = new SseEvent(type, text, id);
        boolean writable = type.indexOf('\r') < 0 && type.indexOf('\n') < 0
                && id.indexOf('\r') < 0 && id.indexOf('\n') < 0 && id.indexOf('\0') < 0;
        if (!writable) {
            assertThatThrownBy(() -> SseEncoder.encodeToBytes(event)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SseEncoder.encode(event)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        byte[] bytes = SseEncoder.encodeToBytes(event);
        ParserHarness.Outcome outcome = ParserHarness.parse(bytes);
        SseEvent expected = new SseEvent(type.isEmpty() ? SseEvent.DEFAULT_TYPE : wellFormed(type),
                wellFormed(text.replace("\r\n", "\n").replace('\r', '\n')), wellFormed(id));
        assertThat(outcome.events()).containsExactly(expected);
    }

    /** The string with each lone surrogate replaced by U+FFFD, as UTF-8 encoders (and ours) write it. */
    private static String wellFormed(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }
}
