package org.neuralpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CliTest {

    @Test
    void helpListsTheCommands() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: neural-pipeline", "serve", "sse", "--log-format");
    }

    @Test
    void sseHelpListsParseAndGet() {
        CliRun run = CliRun.of("sse", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("parse", "get");
    }

    @Test
    void versionNamesTheProductAndTheJvm() {
        CliRun run = CliRun.of("--version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("neural-pipeline ").contains("Java " + Runtime.version().feature());
    }

    @Test
    void unknownCommandIsAUsageError() {
        CliRun run = CliRun.of("frobnicate");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("Unmatched argument", "frobnicate");
    }

    @Test
    void serveRejectsAnInvalidPortNamingKeyValueAndExpectation() {
        CliRun run = CliRun.of("serve", "--port", "70000");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--port: 70000 (expected: 0-65535)");
    }

    @Test
    void badLogFormatIsAUsageError() {
        CliRun run = CliRun.of("--log-format", "xml", "--version");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--log-format");
    }
}
