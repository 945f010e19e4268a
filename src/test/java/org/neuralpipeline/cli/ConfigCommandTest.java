package org.neuralpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralpipeline.config.ConfigFlags;
import org.neuralpipeline.config.ConfigLoader;
import org.neuralpipeline.config.PipelineConfig;

/** {@code config print}, {@code config example}, and {@code serve} refusing an invalid configuration. */
class ConfigCommandTest {

    @TempDir
    Path dir;

    @Test
    void printShowsTheEffectiveConfigurationAndWhereValuesCameFrom() {
        CliRun run = CliRun.of("config", "print", "--port", "9000", "--upstream", "lmstudio=http://127.0.0.1:1234/v1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out())
                .containsPattern("\n  port: 9000 +# flag --port\n")
                .containsPattern("\n  - name: lmstudio +# flag --upstream\n")
                .contains("\n  host: 127.0.0.1\n", "\n  first_token: 120s\n");
    }

    @Test
    void printNeverShowsSecrets() throws IOException {
        Path file = Files.writeString(dir.resolve("np.yaml"), """
                auth:
                  api_keys: [sk-gateway-secret-1, sk-gateway-secret-2]
                upstreams:
                  - name: remote
                    url: https://models.example/v1
                """);
        CliRun run = CliRun.of("config", "print", "--config", file.toString(),
                "--upstream", "other=http://127.0.0.1:1/v1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("sk-gateway-secret").contains("api_keys: [\"****\", \"****\"]");
    }

    @Test
    void printRejectsCredentialsInAnUpstreamUrlWithoutEchoingThem() {
        CliRun run = CliRun.of("config", "print", "--upstream", "remote=https://me:sk-url-secret@models.example/v1");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--upstream: \"remote=https://****@models.example/v1\"")
                .doesNotContain("sk-url-secret");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void printShowsTheLogFormatFlag() {
        CliRun run = CliRun.of("--log-format", "text", "config", "print");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("\n  format: text +# flag --log-format\n");
        CliRun inherited = CliRun.of("config", "print", "--log-format", "text");
        assertThat(inherited.out()).containsPattern("\n  format: text +# flag --log-format\n");
    }

    @Test
    void printOfAnInvalidFileIsAUsageErrorWithTheMessage() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "timeouts:\n  idle: fast\n");
        CliRun run = CliRun.of("config", "print", "--config", file.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).isEqualTo("neural-pipeline: timeouts.idle: \"fast\" "
                + "(expected: a duration such as 500ms, 30s, 2m)" + System.lineSeparator());
        assertThat(run.out()).isEmpty();
    }

    @Test
    void exampleIsTheShippedFileAndLoadsAsTheDefaults() throws IOException {
        CliRun run = CliRun.of("config", "example");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo(ConfigLoader.exampleYaml()).contains("server:", "# Env NEURAL_PIPELINE_");
        Path file = Files.writeString(dir.resolve("my.yaml"), run.out());
        assertThat(ConfigLoader.load(new ConfigFlags(file, null, null, List.of(), null), Map.of()))
                .isEqualTo(PipelineConfig.DEFAULTS);
    }

    @Test
    void configHelpListsItsCommands() {
        assertThat(CliRun.of("--help").out()).contains("config");
        CliRun run = CliRun.of("config", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("print", "example");
        assertThat(CliRun.of("config", "print", "--help").out()).contains("--config", "--host", "--port", "--upstream");
    }

    @Test
    void serveRejectsAnInvalidPortNamingTheFlag() {
        CliRun run = CliRun.of("serve", "--port", "70000");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--port: 70000 (expected: 0-65535)");
    }

    @Test
    void serveRejectsAnInvalidFileBeforeStarting() throws IOException {
        Path unknownKey = Files.writeString(dir.resolve("typo.yaml"), "server:\n  prot: 9000\n");
        CliRun run = CliRun.of("serve", "--config", unknownKey.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("server.prot: unknown key (expected: one of host, port; did you mean port?)");
        assertThat(run.out()).isEmpty();

        Path syntax = Files.writeString(dir.resolve("bad.yaml"), "server:\n  host: a: b\n");
        CliRun bad = CliRun.of("serve", "--config", syntax.toString());
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains(syntax + ": line 2, column 10: mapping values are not allowed here");

        CliRun missing = CliRun.of("serve", "--config", dir.resolve("nope.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("--config: \"" + dir.resolve("nope.yaml") + "\" (expected: an existing YAML file");
    }

    @Test
    void serveRejectsAnInvalidUpstream() {
        CliRun run = CliRun.of("serve", "--upstream", "lm=lmstudio:1234");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--upstream: \"lm=lmstudio:1234\" (expected: an absolute http:// or https:// URL)");
    }
}
