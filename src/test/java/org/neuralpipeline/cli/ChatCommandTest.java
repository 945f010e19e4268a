package org.neuralpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.Ports;
import org.neuralpipeline.testing.TestGateway;

/** {@code chat} against the real service with the built-in model (no upstream). */
class ChatCommandTest {
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(TestGateway.config());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void streamsTheAnswerAndEndsWithTheClientsOwnFigures() {
        CliRun run = CliRun.of("chat", "--url", gateway.url(), "--model", "builtin", "--seed", "4",
                "--max-tokens", "12", "Tell me about the gateway");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).isNotEmpty();
        assertThat(run.err()).containsPattern(
                "\\[builtin via builtin · 12 tokens · first token \\d+ ms · [\\d.]+ tokens/s · finish length]");
    }

    @Test
    void picksAModelWhenNoneIsGiven() {
        CliRun run = CliRun.of("chat", "--url", gateway.url(), "--max-tokens", "3", "hi");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("[builtin via builtin · 3 tokens");
    }

    @Test
    void anUnknownModelIsTheServersMessageAndExitOne() {
        CliRun run = CliRun.of("chat", "--url", gateway.url(), "--model", "nope", "hi");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(run.err()).startsWith("neural-pipeline: HTTP 404: The model 'nope' does not exist");
    }

    @Test
    void aServerThatIsNotRunningIsSaidPlainly() {
        String url = "http://127.0.0.1:" + Ports.refusedPort();
        CliRun run = CliRun.of("chat", "--url", url, "--model", "builtin", "hi");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(run.err()).contains("cannot connect to " + url + ": is `neural-pipeline serve` running there?");
    }

    @Test
    void aMalformedUrlIsAUsageError() {
        CliRun run = CliRun.of("chat", "--url", "localhost:8765", "hi");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--url: \"localhost:8765\" (expected: http://host:port)");
    }
}
