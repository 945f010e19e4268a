package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parser against the cases in {@code src/test/resources/sse/}: {@code NAME.sse} is a byte-exact
 * input and {@code NAME.expected.ndjson} what {@code neural-pipeline sse parse NAME.sse} prints for it (one
 * {@code {"type","data","id"}} object per event, then {@code {"end":true,"last_event_id","retry_ms"}}).
 * Each case is replayed whole, at every chunk size from 1 to its length, and cut at every single offset;
 * all must give the expected result. Expected files are written by hand from the spec, never from the
 * parser's output.
 */
class SseParserSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CASES = casesDirectory();

    record Expected(List<SseEvent> events, String lastEventId, long retryMillis) {
    }

    static Stream<String> caseNames() throws IOException {
        try (Stream<Path> files = Files.list(CASES)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sse"))
                    .map(n -> n.substring(0, n.length() - ".sse".length()))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void caseGivesTheExpectedEventsAtEveryChunkSize(String name) throws IOException {
        byte[] input = Files.readAllBytes(CASES.resolve(name + ".sse"));
        Expected expected = expected(name);
        for (int chunkSize = 1; chunkSize <= Math.max(1, input.length); chunkSize++) {
            ParserHarness.Outcome outcome = ParserHarness.parseInChunks(input, chunkSize,
                    SseParser.DEFAULT_MAX_BYTES, SseParser.DEFAULT_MAX_BYTES);
            assertThat(actual(outcome)).as("%s in chunks of %d bytes", name, chunkSize).isEqualTo(expected);
        }
        for (int cut = 0; cut <= input.length; cut++) {
            ParserHarness.Outcome outcome = ParserHarness.parseSplit(input, new int[] {cut},
                    SseParser.DEFAULT_MAX_BYTES, SseParser.DEFAULT_MAX_BYTES);
            assertThat(actual(outcome)).as("%s cut at %d", name, cut).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void caseAgreesWithTheReferenceParser(String name) throws IOException {
        byte[] input = Files.readAllBytes(CASES.resolve(name + ".sse"));
        assertThat(ParserHarness.parse(input)).isEqualTo(ReferenceParser.parse(input));
    }

    @Test
    void everyInputHasAnExpectationAndViceVersa() throws IOException {
        List<String> inputs;
        List<String> expectations;
        try (Stream<Path> files = Files.list(CASES)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            inputs = names.stream().filter(n -> n.endsWith(".sse")).map(n -> n.replace(".sse", "")).sorted().toList();
            expectations = names.stream().filter(n -> n.endsWith(".expected.ndjson"))
                    .map(n -> n.replace(".expected.ndjson", "")).sorted().toList();
        }
        assertThat(inputs).hasSizeGreaterThan(40).isEqualTo(expectations);
    }

    /** The CLI tests compare these files with {@code sse parse} output as text, so they must be in its format. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void expectationIsWrittenExactlyAsTheCliPrintsIt(String name) throws IOException {
        String text = Files.readString(CASES.resolve(name + ".expected.ndjson"), StandardCharsets.UTF_8);
        Expected expected = expected(name);
        StringBuilder canonical = new StringBuilder();
        for (SseEvent event : expected.events()) {
            canonical.append(cliLine(g -> {
                g.writeStringField("type", event.type());
                g.writeStringField("data", event.data());
                g.writeStringField("id", event.id());
            })).append('\n');
        }
        canonical.append(cliLine(g -> {
            g.writeBooleanField("end", true);
            g.writeStringField("last_event_id", expected.lastEventId());
            g.writeFieldName("retry_ms");
            if (expected.retryMillis() < 0) {
                g.writeNull();
            } else {
                g.writeNumber(expected.retryMillis());
            }
        })).append('\n');
        assertThat(text).isEqualTo(canonical.toString());
    }

    private static Expected actual(ParserHarness.Outcome outcome) {
        assertThat(outcome.failure()).isNull();
        return new Expected(outcome.events(), outcome.lastEventId(), outcome.retryMillis());
    }

    private static Expected expected(String name) throws IOException {
        List<String> lines = Files.readAllLines(CASES.resolve(name + ".expected.ndjson"), StandardCharsets.UTF_8);
        List<SseEvent> events = new ArrayList<>();
        for (String line : lines.subList(0, lines.size() - 1)) {
            JsonNode node = JSON.readTree(line);
            events.add(new SseEvent(node.get("type").textValue(), node.get("data").textValue(),
                    node.get("id").textValue()));
        }
        JsonNode end = JSON.readTree(lines.get(lines.size() - 1));
        assertThat(end.get("end").booleanValue()).as("%s: last line is the end line", name).isTrue();
        JsonNode retry = end.get("retry_ms");
        return new Expected(events, end.get("last_event_id").textValue(), retry.isNull() ? -1 : retry.longValue());
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** The same generator settings as the CLI's {@code EventLines}. */
    private static String cliLine(Fields fields) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        }
        return out.toString();
    }

    private static Path casesDirectory() {
        try {
            return Path.of(SseParserSpecTest.class.getResource("/sse/").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
