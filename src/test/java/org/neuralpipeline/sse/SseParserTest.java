package org.neuralpipeline.sse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Behaviour of {@link SseParser} that the case files cannot show: timing, callbacks, state, API edges. */
class SseParserTest {
    private final ParserHarness.Recorder recorder = new ParserHarness.Recorder();
    private final SseParser parser = new SseParser(recorder);

    private void feed(String text) {
        parser.feed(text.getBytes(UTF_8));
    }

    @Test
    void crAtChunkEndFollowedByLfIsOneLineEnding() {
        feed("data: a\r");
        feed("\ndata: b\r");
        feed("\n\r");
        feed("\n");
        // had either LF counted as a line ending of its own, "a" and "b" would be two events
        assertThat(recorder.events).containsExactly(SseEvent.message("a\nb"));
    }

    @Test
    void crAtChunkEndEndsTheLineWithoutWaitingForTheNextChunk() {
        feed("data: a\n\r");
        assertThat(recorder.events).containsExactly(SseEvent.message("a"));
    }

    @Test
    void onlyOneLfAfterAChunkEndingInCrIsSkipped() {
        feed("data: a\r");
        feed("\n");
        assertThat(recorder.events).isEmpty();
        feed("\n");
        assertThat(recorder.events).containsExactly(SseEvent.message("a"));
    }

    @Test
    void emptyChunkBetweenCrAndLfChangesNothing() {
        feed("data: a\r");
        parser.feed(new byte[0]);
        parser.feed(new byte[8], 8, 0);
        feed("\ndata: b\n\n");
        assertThat(recorder.events).containsExactly(SseEvent.message("a\nb"));
    }

    @Test
    void eventIsDispatchedAsSoonAsItsBlankLineArrives() {
        feed("data: a\n");
        assertThat(recorder.events).isEmpty();
        feed("\ndata: b");
        assertThat(recorder.events).containsExactly(SseEvent.message("a"));
    }

    @Test
    void bomSplitAcrossChunksIsStripped() {
        parser.feed(new byte[] {(byte) 0xEF});
        parser.feed(new byte[] {(byte) 0xBB});
        parser.feed(new byte[] {(byte) 0xBF, 'd', 'a', 't', 'a', ':', 'x', '\n', '\n'});
        assertThat(recorder.events).containsExactly(SseEvent.message("x"));
    }

    @Test
    void commentsReachTheListenerWithTheTextAfterTheColon() {
        feed(": keep-alive\n:\n::x: y \r\n: caf\u00e9\r");
        assertThat(recorder.comments).containsExactly(" keep-alive", "", ":x: y ", " caf\u00e9");
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void validRetryFieldsReachTheListenerAndInvalidOnesDoNot() {
        feed("retry: 1000\nretry: x\nretry: 20\nretry:\nretry: 99999999999999999999\n");
        assertThat(recorder.retries).containsExactly(1000L, 20L, Long.MAX_VALUE);
        assertThat(parser.retryMillis()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void retryIsMinusOneUntilSet() {
        feed("data: a\n\n");
        assertThat(parser.retryMillis()).isEqualTo(-1);
    }

    @Test
    void lastEventIdChangesOnlyAtABlankLine() {
        feed("id: 1\n");
        assertThat(parser.lastEventId()).isEmpty();
        feed("\n");
        assertThat(parser.lastEventId()).isEqualTo("1");
        feed("id: 2\ndata: x\n");
        assertThat(parser.lastEventId()).isEqualTo("1");
        parser.end();
        assertThat(parser.lastEventId()).as("an unfinished block does not count").isEqualTo("1");
    }

    @Test
    void initialLastEventIdIsReportedUntilTheStreamChangesIt() {
        SseParser resumed = new SseParser(recorder, 1024, 1024, "41");
        assertThat(resumed.lastEventId()).isEqualTo("41");
        resumed.feed("data: a\n\n\nid: 42\ndata: b\n\nid\n\ndata: c\n\n".getBytes(UTF_8));
        assertThat(recorder.events).containsExactly(new SseEvent("message", "a", "41"),
                new SseEvent("message", "b", "42"), new SseEvent("message", "c", ""));
        assertThat(resumed.lastEventId()).isEmpty();
    }

    @Test
    void initialLastEventIdSurvivesBlankLinesWithoutAnId() {
        SseParser resumed = new SseParser(recorder, 1024, 1024, "7");
        resumed.feed(":ping\n\n\n".getBytes(UTF_8));
        assertThat(resumed.lastEventId()).isEqualTo("7");
    }

    @Test
    void repeatedTypeAndIdReuseTheirStrings() {
        feed("event: delta\nid: 5\ndata: a\n\nevent: delta\ndata: b\n\nevent: delta\nid: 5\ndata: c\n\ndata: d\n\n");
        SseEvent a = recorder.events.get(0);
        SseEvent b = recorder.events.get(1);
        SseEvent c = recorder.events.get(2);
        SseEvent d = recorder.events.get(3);
        assertThat(b.type()).isEqualTo("delta").isSameAs(a.type());
        assertThat(c.type()).isSameAs(a.type());
        assertThat(b.id()).isEqualTo("5").isSameAs(a.id());
        assertThat(c.id()).isSameAs(a.id());
        assertThat(d.type()).isSameAs(SseEvent.DEFAULT_TYPE);
    }

    @Test
    void endDiscardsThePendingEventAndUnterminatedLine() {
        feed("data: a\n\ndata: b\ndata: c");
        parser.end();
        assertThat(recorder.events).containsExactly(SseEvent.message("a"));
    }

    @Test
    void endTwiceIsHarmless() {
        parser.end();
        parser.end();
        assertThat(parser.lastEventId()).isEmpty();
    }

    @Test
    void feedAfterEndIsAProgrammingError() {
        parser.end();
        assertThatThrownBy(() -> feed("data: a\n\n")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void feedReadsOnlyTheGivenRange() {
        byte[] bytes = "data: NOdata: yes\n\nNO".getBytes(UTF_8);
        parser.feed(bytes, 8, bytes.length - 10);
        assertThat(recorder.events).containsExactly(SseEvent.message("yes"));
    }

    @Test
    void feedRejectsARangeOutsideTheArray() {
        assertThatThrownBy(() -> parser.feed(new byte[4], 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void constructorRejectsLimitsBelowOne() {
        assertThatThrownBy(() -> new SseParser(recorder, 0, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLineBytes: 0");
        assertThatThrownBy(() -> new SseParser(recorder, 10, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEventBytes: -1");
    }

    @Test
    void callerMayReuseItsArrayAfterFeedReturns() {
        byte[] buffer = "data: first\ndata: sec".getBytes(UTF_8);
        parser.feed(buffer);
        Arrays.fill(buffer, (byte) 'X');
        feed("ond\n\n");
        assertThat(recorder.events).containsExactly(SseEvent.message("first\nsecond"));
    }

    @Test
    void longLinesSpanningManyChunksAreJoinedExactly() {
        String value = "0123456789abcdef\u00e9\u20ac".repeat(5_000);
        byte[] bytes = ("data: " + value + "\r\n\r\n").getBytes(UTF_8);
        for (int chunk : new int[] {1, 7, 8, 9, 4096, 8192}) {
            ParserHarness.Outcome outcome = ParserHarness.parseInChunks(bytes, chunk, 1 << 20, 1 << 20);
            assertThat(outcome.events()).as("chunks of %d", chunk).containsExactly(SseEvent.message(value));
        }
    }

    @Test
    void lineEndsAreFoundAtEveryPositionWithinAWord() {
        // the eight-bytes-at-a-time search must find a terminator at each of the 8 offsets, and never a
        // byte that merely resembles one (0x0A/0x0D plus or minus one, and high bytes that could borrow)
        byte[] lookalikes = {0x09, 0x0B, 0x0C, 0x0E, (byte) 0x8A, (byte) 0x8D, (byte) 0x80, 0x00, 0x01};
        SplittableRandom random = new SplittableRandom(3);
        for (int length = 0; length < 40; length++) {
            for (byte terminator : new byte[] {'\n', '\r'}) {
                byte[] value = new byte[length];
                for (int i = 0; i < length; i++) {
                    value[i] = lookalikes[random.nextInt(lookalikes.length)];
                }
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                stream.writeBytes("data:".getBytes(UTF_8));
                stream.writeBytes(value);
                stream.write(terminator);
                stream.write(terminator);
                byte[] bytes = stream.toByteArray();
                assertThat(ParserHarness.parse(bytes)).isEqualTo(ReferenceParser.parse(bytes));
                assertThat(ParserHarness.parse(bytes).events()).hasSize(1);
            }
        }
    }

    /**
     * Differential test: random streams built from the pieces that matter (field names, colons, spaces,
     * every line ending, BOM and partial BOM, NUL, digits, multi-byte and invalid UTF-8), cut at random
     * points, against the literal transcription of the spec in {@link ReferenceParser}.
     */
    @Test
    void agreesWithTheReferenceParserOnRandomStreamsCutAtRandomPoints() {
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 20_000; round++) {
            byte[] stream = RandomStreams.next(random);
            ParserHarness.Outcome expected = ReferenceParser.parse(stream);
            int[] cuts = RandomStreams.cuts(random, stream.length);
            assertThat(ParserHarness.parseSplit(stream, cuts, 1 << 20, 1 << 20))
                    .as("stream %s cut at %s", Arrays.toString(stream), Arrays.toString(cuts))
                    .isEqualTo(expected);
        }
    }
}
