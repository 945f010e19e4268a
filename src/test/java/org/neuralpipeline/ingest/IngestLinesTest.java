package org.neuralpipeline.ingest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngestLinesTest {

    private static IngestLines.Outcome parse(String line) {
        byte[] bytes = line.getBytes(UTF_8);
        return IngestLines.parse(bytes, bytes.length);
    }

    private static String error(String line) {
        return ((IngestLines.Rejected) parse(line)).error();
    }

    @Test
    void anObjectWithAStringMessageTypeIsAccepted() {
        IngestLines.Accepted a = (IngestLines.Accepted) parse(
                "{\"message_type\":\"DaemonPulse\",\"seq\":99,\"payload\":{\"request_id\":\"r7\",\"model\":\"m\"}}");
        assertThat(a.message().type()).isEqualTo("DaemonPulse");
        assertThat(a.message().requestId()).isEqualTo("r7");
        assertThat(a.message().model()).isEqualTo("m");
        assertThat(a.message().node().has("seq")).as("the hub numbers messages").isFalse();
    }

    @Test
    void everyKindOfBadLineSaysWhatIsWrong() {
        assertThat(error("{\"message_type\":")).startsWith("invalid JSON: ");
        assertThat(error("[1,2]")).isEqualTo("expected a JSON object, got array");
        assertThat(error("\"x\"")).isEqualTo("expected a JSON object, got string");
        assertThat(error("{\"type\":\"x\"}")).isEqualTo("message_type: missing (expected: a string)");
        assertThat(error("{\"message_type\":7}")).isEqualTo("message_type: 7 (expected: a string)");
        assertThat(error("{\"message_type\":\"\"}"))
                .isEqualTo("message_type: \"\" (expected: 1 to 128 characters, no control characters)");
        assertThat(error("{\"message_type\":\"a\"} {}")).startsWith("invalid JSON: ");
        assertThat(error("{\"message_type\":\"a\",\"message_type\":\"b\"}")).contains("Duplicate field");
        assertThat(parse("  \r")).isInstanceOf(IngestLines.Blank.class);
    }

    @Test
    void linesAreSplitAtLfWithOversizedOnesSkippedAlone() {
        List<String> events = new ArrayList<>();
        LineSplitter splitter = new LineSplitter(8, new LineSplitter.Listener() {
            @Override
            public void line(int number, byte[] bytes, int length) {
                events.add(number + ":" + new String(bytes, 0, length, UTF_8));
            }

            @Override
            public void tooLong(int number) {
                events.add(number + ":too long");
            }
        });
        byte[] input = "a\r\n12345678\n123456789\nb\n\nlast".getBytes(UTF_8);
        for (int i = 0; i < input.length; i++) { // one byte at a time: splits anywhere are the same
            splitter.feed(input, i, 1);
        }
        splitter.end();
        assertThat(events).containsExactly("1:a", "2:12345678", "3:too long", "4:b", "5:", "6:last");
    }

    @Test
    void aLineOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot() {
        List<String> events = new ArrayList<>();
        LineSplitter splitter = new LineSplitter(IngestLines.MAX_LINE_BYTES, new LineSplitter.Listener() {
            @Override
            public void line(int number, byte[] bytes, int length) {
                events.add("line " + length);
            }

            @Override
            public void tooLong(int number) {
                events.add("too long " + number);
            }
        });
        byte[] max = ("x".repeat(IngestLines.MAX_LINE_BYTES) + "\r\n" + "y".repeat(IngestLines.MAX_LINE_BYTES + 1)
                + "\n").getBytes(UTF_8);
        splitter.feed(max, 0, max.length);
        assertThat(events).containsExactly("line 65536", "too long 2");
    }
}
