package org.neuralpipeline.sse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SseEncoderTest {

    @Test
    void messageIsOneDataLineAndABlankLine() {
        assertThat(SseEncoder.encode(SseEvent.message("hello"))).isEqualTo("data: hello\n\n");
    }

    @Test
    void openAiChunkIsEncodedAsTheServersWriteIt() {
        String json = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}";
        assertThat(SseEncoder.encode(SseEvent.message(json))).isEqualTo("data: " + json + "\n\n");
        assertThat(SseEncoder.encode(SseEvent.message("[DONE]"))).isEqualTo("data: [DONE]\n\n");
    }

    @Test
    void typeLineOnlyWhenTheTypeIsNotMessage() {
        assertThat(SseEncoder.encode(new SseEvent("add", "1", ""))).isEqualTo("event: add\ndata: 1\n\n");
        assertThat(SseEncoder.encode(new SseEvent("message", "1", ""))).isEqualTo("data: 1\n\n");
        assertThat(SseEncoder.encode(new SseEvent("", "1", ""))).isEqualTo("data: 1\n\n");
    }

    @Test
    void idLineWhenTheIdIsNonEmpty() {
        assertThat(SseEncoder.encode(new SseEvent("message", "x", "42"))).isEqualTo("id: 42\ndata: x\n\n");
    }

    @Test
    void fieldsAreWrittenAsTypeThenIdThenData() {
        assertThat(SseEncoder.encode(new SseEvent("token", "t\u00e9", "7")))
                .isEqualTo("event: token\nid: 7\ndata: t\u00e9\n\n");
    }

    @Test
    void dataWithCrLfCrOrLfBecomesSeveralDataLines() {
        assertThat(SseEncoder.encode(SseEvent.message("a\r\nb\rc\nd")))
                .isEqualTo("data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    @Test
    void emptyDataAndEmptyLinesAreBareDataFields() {
        assertThat(SseEncoder.encode(SseEvent.message(""))).isEqualTo("data:\n\n");
        assertThat(SseEncoder.encode(SseEvent.message("a\n\nb\n")))
                .isEqualTo("data: a\ndata:\ndata: b\ndata:\n\n");
        assertThat(SseEncoder.encode(SseEvent.message("\r\r\n"))).isEqualTo("data:\ndata:\ndata:\n\n");
    }

    @Test
    void leadingSpaceOfAValueSurvivesBecauseOneSpaceIsAlwaysWritten() {
        assertThat(SseEncoder.encode(new SseEvent(" t", " d", " i"))).isEqualTo("event:  t\nid:  i\ndata:  d\n\n");
    }

    @Test
    void bytesAreTheUtf8OfTheText() {
        SseEvent event = new SseEvent("\u00e9v\u00e8nement", "caf\u00e9 \u20ac \uD83D\uDE00\r\n\u65e5\u672c",
                "\u0438\u0434");
        assertThat(SseEncoder.encodeToBytes(event)).isEqualTo(SseEncoder.encode(event).getBytes(UTF_8));
    }

    @Test
    void loneSurrogateIsWrittenAsReplacementCharacter() {
        byte[] bytes = SseEncoder.encodeToBytes(SseEvent.message("a\uD800b\uDC00\uD83D"));
        assertThat(new String(bytes, UTF_8)).isEqualTo("data: a\uFFFDb\uFFFD\uFFFD\n\n");
        // a pair split by a line end is two lone surrogates
        assertThat(new String(SseEncoder.encodeToBytes(SseEvent.message("\uD83D\n\uDE00")), UTF_8))
                .isEqualTo("data: \uFFFD\ndata: \uFFFD\n\n");
    }

    @Test
    void typeWithLineEndIsRejected() {
        assertThatThrownBy(() -> SseEncoder.encode(new SseEvent("a\nb", "x", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("type: \"a\\nb\" (expected: no CR or LF)");
        assertThatThrownBy(() -> SseEncoder.encodeToBytes(new SseEvent("a\r", "x", "")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void idWithLineEndOrNulIsRejected() {
        for (String id : new String[] {"1\n", "\r1", "1\r\n2", "a\0b"}) {
            assertThatThrownBy(() -> SseEncoder.encode(new SseEvent("message", "x", id)))
                    .as("%s", id).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("id: ");
            assertThatThrownBy(() -> SseEncoder.encodeToBytes(new SseEvent("message", "x", id)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void commentIsOneBlockTheParserReportsVerbatim() {
        assertThat(SseEncoder.comment(" keep-alive")).isEqualTo(": keep-alive\n\n");
        assertThat(SseEncoder.comment("")).isEqualTo(":\n\n");
        ParserHarness.Recorder recorder = new ParserHarness.Recorder();
        new SseParser(recorder).feed(SseEncoder.comment(" caf\u00e9: ok").getBytes(UTF_8));
        assertThat(recorder.comments).containsExactly(" caf\u00e9: ok");
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void commentWithLineEndIsRejected() {
        assertThatThrownBy(() -> SseEncoder.comment("a\nb")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SseEncoder.comment("a\r")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void retrySetsTheParsersReconnectionTime() {
        assertThat(SseEncoder.retry(3000)).isEqualTo("retry: 3000\n\n");
        SseParser parser = new SseParser(event -> { });
        parser.feed(SseEncoder.retry(Long.MAX_VALUE).getBytes(UTF_8));
        assertThat(parser.retryMillis()).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> SseEncoder.retry(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retry: -1 (expected: 0 or more milliseconds)");
    }

    /** Parsing the encoding of any valid event gives the same event back, CR and CRLF read as LF. */
    @Test
    void parsingTheEncodingGivesTheEventBack() {
        SplittableRandom random = new SplittableRandom(1234);
        for (int round = 0; round < 10_000; round++) {
            SseEvent event = randomEvent(random);
            SseEvent expected = new SseEvent(event.type(), normalizeLineEnds(event.data()), event.id());
            byte[] fromText = SseEncoder.encode(event).getBytes(UTF_8);
            byte[] bytes = SseEncoder.encodeToBytes(event);
            assertThat(bytes).isEqualTo(fromText);
            ParserHarness.Outcome outcome = ParserHarness.parseSplit(bytes, RandomStreams.cuts(random, bytes.length),
                    1 << 20, 1 << 20);
            assertThat(outcome.events()).as("%s", event).containsExactly(expected);
        }
    }

    /** Many events in one stream: the same, except that the parser's id persists over events without one. */
    @Test
    void parsingAStreamOfEncodedEventsGivesThemBackInOrder() {
        SplittableRandom random = new SplittableRandom(99);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<SseEvent> expected = new ArrayList<>();
        String lastId = "";
        for (int i = 0; i < 2_000; i++) {
            SseEvent event = randomEvent(random);
            stream.writeBytes(SseEncoder.encodeToBytes(event));
            if (random.nextInt(5) == 0) {
                stream.writeBytes(SseEncoder.comment(" keep-alive").getBytes(UTF_8));
            }
            lastId = event.id().isEmpty() ? lastId : event.id();
            expected.add(new SseEvent(event.type(), normalizeLineEnds(event.data()), lastId));
        }
        byte[] bytes = stream.toByteArray();
        for (int chunk : new int[] {1, 3, 64, 8192}) {
            assertThat(ParserHarness.parseInChunks(bytes, chunk, 1 << 20, 1 << 20).events())
                    .as("chunks of %d", chunk).isEqualTo(expected);
        }
    }

    private static String normalizeLineEnds(String data) {
        return data.replace("\r\n", "\n").replace('\r', '\n');
    }

    private static final String[] PIECES = {"a", "b", "xyz", " ", "  ", ":", ": ", "\t", "\0", "\r", "\n", "\r\n",
        "\u00e9", "\u20ac", "\uD83D\uDE00", "\uFEFF", "\uFFFD", "\u2028", "data", "id:", "{\"k\":1}"};

    static SseEvent randomEvent(SplittableRandom random) {
        String type = random.nextInt(3) == 0 ? "message" : randomText(random, 1, 6, false, false);
        String id = random.nextBoolean() ? "" : randomText(random, 0, 6, false, true);
        String data = randomText(random, 0, 12, true, false);
        return new SseEvent(type, data, id);
    }

    /** Random text of whole pieces; {@code lineEnds} allows CR and LF, {@code noNul} forbids NUL. */
    static String randomText(SplittableRandom random, int minPieces, int maxPieces, boolean lineEnds, boolean noNul) {
        StringBuilder text = new StringBuilder();
        int wanted = random.nextInt(minPieces, maxPieces + 1);
        for (int appended = 0; appended < wanted; ) {
            String piece = PIECES[random.nextInt(PIECES.length)];
            boolean hasLineEnd = piece.indexOf('\r') >= 0 || piece.indexOf('\n') >= 0;
            if ((lineEnds || !hasLineEnd) && !(noNul && piece.indexOf('\0') >= 0)) {
                text.append(piece);
                appended++;
            }
        }
        return text.toString();
    }
}
