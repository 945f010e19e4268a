package org.neuralpipeline.sse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The line and event limits: same verdict at every chunking, memory bounded, failure is final. */
class SseParserLimitsTest {
    private static final int LINE = 16;
    private static final int EVENT = 24;

    private static ParserHarness.Outcome[] everyChunking(String text) {
        byte[] bytes = text.getBytes(UTF_8);
        ParserHarness.Outcome[] outcomes = new ParserHarness.Outcome[bytes.length];
        for (int chunk = 1; chunk <= bytes.length; chunk++) {
            outcomes[chunk - 1] = ParserHarness.parseInChunks(bytes, chunk, LINE, EVENT);
        }
        return outcomes;
    }

    @Test
    void lineLongerThanTheLimitThrowsAtEveryChunkSize() {
        // "data: 0123456789" is exactly 16 bytes; one more is too long. The event before it is delivered.
        for (ParserHarness.Outcome outcome : everyChunking("data: ok\n\ndata: 0123456789X\n\ndata: never\n\n")) {
            assertThat(outcome.failure()).isEqualTo("line too long: exceeds maxLineBytes=16 bytes");
            assertThat(outcome.events()).containsExactly(SseEvent.message("ok"));
        }
    }

    @Test
    void lineOfExactlyTheLimitIsAcceptedAndItsLineEndingDoesNotCount() {
        for (ParserHarness.Outcome outcome : everyChunking("data: 0123456789\r\n\r\n")) {
            assertThat(outcome.failure()).isNull();
            assertThat(outcome.events()).containsExactly(SseEvent.message("0123456789"));
        }
    }

    @Test
    void unterminatedLineLongerThanTheLimitThrowsWithoutWaitingForItsEnd() {
        for (ParserHarness.Outcome outcome : everyChunking("data: 0123456789X")) {
            assertThat(outcome.failure()).contains("maxLineBytes=16");
        }
    }

    @Test
    void commentsAndUnknownFieldsCountTowardsTheLineLimit() {
        for (ParserHarness.Outcome outcome : everyChunking(": a very long keep-alive comment\n")) {
            assertThat(outcome.failure()).contains("maxLineBytes=16");
        }
        for (ParserHarness.Outcome outcome : everyChunking("x-unknown-field-that-is-long\n")) {
            assertThat(outcome.failure()).contains("maxLineBytes=16");
        }
    }

    @Test
    void eventWhoseDataExceedsTheLimitThrowsAtEveryChunkSize() {
        // three 10-byte values joined by LF: 32 bytes > 24, each line below the line limit
        for (ParserHarness.Outcome outcome : everyChunking("data: a\n\ndata:0123456789\ndata:0123456789\n"
                + "data:0123456789\n\n")) {
            assertThat(outcome.failure()).isEqualTo("event too big: its data exceeds maxEventBytes=24 bytes");
            assertThat(outcome.events()).containsExactly(SseEvent.message("a"));
        }
    }

    @Test
    void eventOfExactlyTheLimitIsAccepted() {
        // 11 + 1 + 6 + 1 + 5 = 24 bytes of data, exactly the limit
        for (ParserHarness.Outcome outcome : everyChunking("data:01234567890\ndata:012345\ndata:01234\n\n")) {
            assertThat(outcome.failure()).isNull();
            assertThat(outcome.events()).containsExactly(SseEvent.message("01234567890\n012345\n01234"));
        }
    }

    @Test
    void eventLimitCountsUtf8BytesNotChars() {
        // U+20AC is 3 bytes: 4 + LF + 3 of them are 8 chars but 22 bytes, accepted at a limit of 22;
        // 4 + LF + 4 are 25 bytes, rejected
        ParserHarness.Outcome ok = ParserHarness.parseInChunks(("data:\u20ac\u20ac\u20ac\u20ac\n"
                + "data:\u20ac\u20ac\u20ac\n\n").getBytes(UTF_8), 5, 64, 22);
        assertThat(ok.failure()).isNull();
        ParserHarness.Outcome tooBig = ParserHarness.parseInChunks(("data:\u20ac\u20ac\u20ac\u20ac\n"
                + "data:\u20ac\u20ac\u20ac\u20ac\n\n").getBytes(UTF_8), 5, 64, 22);
        assertThat(tooBig.failure()).contains("maxEventBytes=22");
    }

    @Test
    void bigButAllowedEventPassesWithTheDefaultLimits() {
        // 1 MiB of data in 1 KiB lines (joined by LF), fed in 8 KiB chunks
        String line = "x".repeat(1023);
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 1024; i++) {
            stream.append("data: ").append(line).append('\n');
        }
        stream.append('\n');
        ParserHarness.Outcome outcome = ParserHarness.parseInChunks(stream.toString().getBytes(UTF_8), 8192,
                SseParser.DEFAULT_MAX_BYTES, SseParser.DEFAULT_MAX_BYTES);
        assertThat(outcome.failure()).isNull();
        assertThat(outcome.events()).hasSize(1);
        assertThat(outcome.events().get(0).data()).hasSize(1024 * 1024 - 1);
    }

    @Test
    void lineOfOneMebibyteIsAllowedByDefault() {
        byte[] line = new byte[SseParser.DEFAULT_MAX_BYTES + 2];
        Arrays.fill(line, (byte) 'y');
        System.arraycopy("data:".getBytes(UTF_8), 0, line, 0, 5);
        line[line.length - 2] = '\n';
        line[line.length - 1] = '\n';
        ParserHarness.Outcome outcome = ParserHarness.parseInChunks(line, 8192, SseParser.DEFAULT_MAX_BYTES,
                SseParser.DEFAULT_MAX_BYTES);
        assertThat(outcome.failure()).isNull();
        assertThat(outcome.events().get(0).data()).hasSize(SseParser.DEFAULT_MAX_BYTES - 5);
    }

    @Test
    void neverEndingLineFailsOnceTheLimitIsPassedNotAtTheEndOfTheInput() {
        // a hostile server sending 100 MB without a line end: rejected within the first 1 MiB + one chunk
        SseParser parser = new SseParser(event -> { });
        byte[] chunk = new byte[8192];
        Arrays.fill(chunk, (byte) 'z');
        long fed = 0;
        SseLimitExceededException failure = null;
        while (fed < 100_000_000L && failure == null) {
            try {
                parser.feed(chunk);
                fed += chunk.length;
            } catch (SseLimitExceededException e) {
                failure = e;
            }
        }
        assertThat(failure).isNotNull();
        assertThat(fed).isLessThanOrEqualTo(SseParser.DEFAULT_MAX_BYTES);
    }

    @Test
    void hugeChunkWithoutLineEndIsRejectedWithoutCopyingIt() {
        // 64 MiB in a single feed: rejected by looking at no more than the first 1 MiB + 1 bytes; were it
        // copied into the carry buffer first, memory would grow with the chunk
        byte[] huge = new byte[64 << 20];
        Arrays.fill(huge, 0, SseParser.DEFAULT_MAX_BYTES + 1, (byte) 'z');
        // everything after the window is a valid event; it must not be reached
        huge[huge.length - 2] = '\n';
        huge[huge.length - 1] = '\n';
        ParserHarness.Recorder recorder = new ParserHarness.Recorder();
        SseParser parser = new SseParser(recorder);
        assertThatThrownBy(() -> parser.feed(huge)).isInstanceOf(SseLimitExceededException.class)
                .hasMessageContaining("maxLineBytes=1048576");
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void failedParserKeepsFailingAndEndDoesNothing() {
        ParserHarness.Recorder recorder = new ParserHarness.Recorder();
        SseParser parser = new SseParser(recorder, LINE, EVENT);
        parser.feed("id: 1\n\n".getBytes(UTF_8));
        assertThatThrownBy(() -> parser.feed("data: this line is too long\n".getBytes(UTF_8)))
                .isInstanceOf(SseLimitExceededException.class);
        assertThatThrownBy(() -> parser.feed("data: ok\n\n".getBytes(UTF_8)))
                .isInstanceOf(SseLimitExceededException.class).hasMessageContaining("maxLineBytes=16");
        assertThatThrownBy(() -> parser.feed(new byte[0])).isInstanceOf(SseLimitExceededException.class);
        parser.end();
        assertThat(recorder.events).isEmpty();
        assertThat(parser.lastEventId()).isEqualTo("1");
    }

    @Test
    void limitExceptionIsStackless() {
        SseParser parser = new SseParser(event -> { }, LINE, EVENT);
        assertThatThrownBy(() -> parser.feed("0123456789abcdefg".getBytes(UTF_8)))
                .isInstanceOfSatisfying(SseLimitExceededException.class,
                        e -> assertThat(e.getStackTrace()).isEmpty());
    }
}
