package org.neuralpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sse parse} over every parser case in src/test/resources/sse/: the printed NDJSON must equal the
 * case's expected file at every chunk size from 1 to the input's length.
 */
class SseParseCommandTest {
    private static final Path CASES = Path.of("src/test/resources/sse");

    @TestFactory
    Stream<DynamicTest> everyCaseGivesTheExpectedLinesAtEveryChunkSize() throws IOException {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(CASES)) {
            inputs = files.filter(p -> p.toString().endsWith(".sse")).sorted().toList();
        }
        assertThat(inputs).as("parser cases in %s", CASES).hasSizeGreaterThanOrEqualTo(20);
        return inputs.stream().map(input -> DynamicTest.dynamicTest(input.getFileName().toString(), () -> {
            String name = input.getFileName().toString().replaceFirst("\\.sse$", "");
            String expected = Files.readString(CASES.resolve(name + ".expected.ndjson"), StandardCharsets.UTF_8);
            long length = Math.max(1, Files.size(input));
            for (int chunk = 1; chunk <= length; chunk++) {
                CliRun run = CliRun.of("sse", "parse", input.toString(), "--chunk-size", String.valueOf(chunk));
                assertThat(run.err()).as("stderr at chunk size %d", chunk).isEmpty();
                assertThat(run.exitCode()).isZero();
                assertThat(run.out()).as("%s at chunk size %d", name, chunk).isEqualTo(expected);
            }
        }));
    }

    @Test
    void readsStandardInputByDefault() {
        CliRun run = CliRun.withStdin("id: 7\nevent: tick\ndata: a\ndata: b\n\nretry: 1500\n".getBytes(
                StandardCharsets.UTF_8), "sse", "parse");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("""
                {"type":"tick","data":"a\\nb","id":"7"}
                {"end":true,"last_event_id":"7","retry_ms":1500}
                """);
    }

    @Test
    void missingFileIsAnIoErrorWithTheName(@TempDir Path dir) {
        Path missing = dir.resolve("nope.sse");
        CliRun run = CliRun.of("sse", "parse", missing.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.IO);
        assertThat(run.err()).isEqualTo("neural-pipeline: " + missing + ": no such file" + System.lineSeparator());
    }

    @Test
    void chunkSizeBelowOneIsAUsageError() {
        CliRun run = CliRun.withStdin(new byte[0], "sse", "parse", "--chunk-size", "0");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--chunk-size: 0 (expected: 1 or more)");
    }

    @Test
    void aLineOverTheLimitStopsWithADataErrorAfterTheEventsBeforeIt() {
        byte[] stream = ("data: ok\n\ndata: " + "x".repeat(100) + "\n\n").getBytes(StandardCharsets.UTF_8);
        CliRun run = CliRun.withStdin(stream, "sse", "parse", "--max-bytes", "64");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(run.out()).isEqualTo("{\"type\":\"message\",\"data\":\"ok\",\"id\":\"\"}" + System.lineSeparator());
        assertThat(run.err()).startsWith("neural-pipeline: stream rejected: ");
    }
}
