package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** The YAML file: every key, strictness about keys and shapes, and messages naming the path as written. */
class ConfigFileTest {

    static PipelineConfig load(String yaml) {
        return load(yaml, Map.of());
    }

    static PipelineConfig load(String yaml, Map<String, String> env) {
        return ConfigLoader.load("np.yaml", yaml, ConfigFlags.NONE, env).config();
    }

    static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String yaml) {
        return assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class);
    }

    @Test
    void anEmptyFileOrOnlyCommentsGivesTheDefaults() {
        assertThat(load("")).isEqualTo(PipelineConfig.DEFAULTS);
        assertThat(load("# nothing yet\n")).isEqualTo(PipelineConfig.DEFAULTS);
        assertThat(load("server:\nlimits: ~\n")).isEqualTo(PipelineConfig.DEFAULTS);
    }

    @Test
    void readsEveryKey() {
        String yaml = """
                server:
                  host: 0.0.0.0
                  port: 9000
                limits:
                  max_body_bytes: 512KiB
                timeouts:
                  connect: 500ms
                  first_token: 2m
                  idle: 30s
                  total: 1h
                  keep_alive: 5000
                upstreams:
                  - name: lmstudio
                    url: http://127.0.0.1:1234/v1/
                    api_key_env: LMSTUDIO_KEY
                    models: [qwen2.5-7b-instruct, llama-3.2-3b]
                    include_usage: false
                  - name: ollama
                    url: http://127.0.0.1:11434/v1
                probe_local: false
                builtin:
                  enabled: false
                  tokens_per_second: 12.5
                auth:
                  api_keys: [k-one, k-two]
                  forward_client_authorization: false
                logging:
                  format: json
                  log_prompts: true
                """;
        PipelineConfig c = load(yaml, Map.of("LMSTUDIO_KEY", "sk-lm"));
        assertThat(c).isEqualTo(new PipelineConfig(
                new ServerConfig("0.0.0.0", 9000),
                new LimitsConfig(512 * 1024),
                new TimeoutsConfig(Duration.ofMillis(500), Duration.ofMinutes(2), Duration.ofSeconds(30),
                        Duration.ofHours(1), Duration.ofSeconds(5)),
                List.of(new UpstreamConfig("lmstudio", URI.create("http://127.0.0.1:1234/v1"), "LMSTUDIO_KEY", "sk-lm",
                                List.of("qwen2.5-7b-instruct", "llama-3.2-3b"), false),
                        UpstreamConfig.of("ollama", URI.create("http://127.0.0.1:11434/v1"))),
                false,
                new BuiltinConfig(false, 12.5),
                new AuthConfig(List.of("k-one", "k-two"), false),
                new LoggingConfig("json", true)));
    }

    @Test
    void quotedNumbersAndBooleansAreReadToo() {
        PipelineConfig c = load("server:\n  port: \"9000\"\nprobe_local: \"false\"\nbuiltin:\n  tokens_per_second: 0\n");
        assertThat(c.server().port()).isEqualTo(9000);
        assertThat(c.probeLocal()).isFalse();
        assertThat(c.builtin().tokensPerSecond()).isZero();
    }

    @Test
    void anUpstreamKeyVariableThatIsUnsetLeavesTheKeyNull() {
        PipelineConfig c = load("upstreams:\n  - {name: vllm, url: 'https://gpu:8000/v1', api_key_env: VLLM_KEY}\n");
        assertThat(c.upstreams().getFirst().apiKeyEnv()).isEqualTo("VLLM_KEY");
        assertThat(c.upstreams().getFirst().apiKey()).isNull();
    }

    @Test
    void apiKeysCanComeFromAVariableNamedInTheFile() {
        String yaml = "auth:\n  api_keys_env: NP_KEYS\n";
        assertThat(load(yaml, Map.of("NP_KEYS", "k1, k2,,")).auth().apiKeys()).containsExactly("k1", "k2");
    }

    @Test
    void aKeysVariableThatIsUnsetIsAnErrorRatherThanAnOpenGateway() {
        assertRejected("auth:\n  api_keys_env: NP_KEYS\n").hasMessage("auth.api_keys_env: \"NP_KEYS\" "
                + "(expected: an environment variable holding comma-separated keys; NP_KEYS is not set)");
        assertRejected("auth:\n  api_keys_env: not-a-name\n").hasMessage("auth.api_keys_env: \"not-a-name\" "
                + "(expected: the name of an environment variable, such as LMSTUDIO_API_KEY)");
    }

    @Test
    void apiKeysAndTheirVariableTogetherAreAnError() {
        assertRejected("auth:\n  api_keys: [a]\n  api_keys_env: NP_KEYS\n")
                .hasMessage("auth.api_keys_env: \"NP_KEYS\" (expected: only one of auth.api_keys and auth.api_keys_env)");
    }

    @Test
    void unknownKeysAreErrorsListingTheValidOnes() {
        assertRejected("sever:\n  port: 1\n").hasMessage("sever: unknown key (expected: one of server, limits, "
                + "timeouts, upstreams, probe_local, builtin, auth, logging; did you mean server?)");
        assertRejected("timeouts:\n  frist_token: 5s\n").hasMessage("timeouts.frist_token: unknown key (expected: "
                + "one of connect, first_token, idle, total, keep_alive; did you mean first_token?)");
        assertRejected("limits:\n  max_body: 1MiB\n")
                .hasMessage("limits.max_body: unknown key (expected: one of max_body_bytes; did you mean max_body_bytes?)");
        assertRejected("upstreams:\n  - name: a\n    url: http://h/v1\n    api_key: sk-123\n")
                .hasMessage("upstreams[0].api_key: unknown key (expected: one of name, url, api_key_env, models, "
                        + "include_usage; did you mean api_key_env?)");
    }

    @Test
    void aKeyInTheWrongSectionIsPointedToItsSection() {
        assertRejected("server:\n  max_body_bytes: 1MiB\n").hasMessage("server.max_body_bytes: unknown key "
                + "(expected: one of host, port; did you mean limits.max_body_bytes?)");
        assertRejected("builtin:\n  probe_local: true\n").hasMessage("builtin.probe_local: unknown key "
                + "(expected: one of enabled, tokens_per_second; did you mean probe_local?)");
        assertRejected("host: 0.0.0.0\n").hasMessage("host: unknown key (expected: one of server, limits, timeouts, "
                + "upstreams, probe_local, builtin, auth, logging; did you mean server.host?)");
    }

    @Test
    void syntaxErrorsGiveLineAndColumn() {
        assertRejected("server:\n  host: a: b\n").hasMessage(
                "np.yaml: line 2, column 10: mapping values are not allowed here (expected: valid YAML)");
        assertRejected("auth:\n  api_keys: [a, b\n").hasMessage("np.yaml: line 3, column 1: expected ',' or ']', "
                + "but got <stream end>, while parsing a flow sequence that starts at line 2, column 13 "
                + "(expected: valid YAML)");
        assertRejected("server:\n\tport: 1\n").message().startsWith("np.yaml: line 2, column 1: found character '\\t(TAB)'");
    }

    @Test
    void duplicateKeysAreAnError() {
        assertRejected("server:\n  port: 1\n  port: 2\n")
                .hasMessage("np.yaml: line 3, column 7: duplicate key 'port' (expected: valid YAML)");
    }

    @Test
    void shapesAreChecked() {
        assertRejected("- a\n").hasMessage("np.yaml: a list (expected: a mapping of sections such as server: and upstreams:)");
        assertRejected("server: 8765\n").hasMessage("server: 8765 (expected: a mapping with keys host, port)");
        assertRejected("server:\n  port: [1]\n").hasMessage("server.port: a list (expected: a single value)");
        assertRejected("auth:\n  api_keys: sk-1\n").hasMessage("auth.api_keys: \"sk-1\" (expected: a list such as [a, b])");
        assertRejected("auth:\n  api_keys: [a, {b: c}]\n").hasMessage("auth.api_keys[1]: a mapping (expected: a single value)");
        assertRejected("upstreams:\n  lmstudio: http://h/v1\n")
                .hasMessage("upstreams: a mapping (expected: a list of upstreams, each a mapping with name and url)");
        assertRejected("upstreams:\n  - http://h/v1\n").hasMessage("upstreams[0]: \"http://h/v1\" "
                + "(expected: a mapping with keys name, url, api_key_env, models, include_usage)");
    }

    @Test
    void upstreamErrorsNameTheEntry() {
        String first = "upstreams:\n  - name: ok\n    url: http://127.0.0.1:1/v1\n";
        assertRejected(first + "  - name: lm\n    url: lmstudio:1234\n")
                .hasMessage("upstreams[1].url: \"lmstudio:1234\" (expected: an absolute http:// or https:// URL)");
        assertRejected(first + "  - name: lm\n    url: http://bad host/\n")
                .hasMessage("upstreams[1].url: \"http://bad host/\" (expected: an absolute http:// or https:// URL)");
        assertRejected(first + "  - url: http://h/v1\n").hasMessage("upstreams[1].name: missing "
                + "(expected: 1-32 characters of a-z, 0-9, _ and -, starting with a letter or digit)");
        assertRejected(first + "  - name: lm\n").hasMessage(
                "upstreams[1].url: missing (expected: an absolute http:// or https:// URL)");
        assertRejected(first + "  - name: builtin\n    url: http://h/v1\n").hasMessage(
                "upstreams[1].name: \"builtin\" (expected: a name other than builtin, which is the built-in model)");
        assertRejected(first + "  - name: lm\n    url: http://h/v1\n    models: [a, '']\n")
                .hasMessage("upstreams[1].models[1]: \"\" (expected: a model id)");
        assertRejected(first + "  - name: lm\n    url: http://h/v1\n    include_usage: sometimes\n")
                .hasMessage("upstreams[1].include_usage: \"sometimes\" (expected: true or false)");
        assertRejected(first + "  - name: ok\n    url: http://h/v1\n")
                .hasMessage("upstreams[1].name: \"ok\" (expected: a name no other upstream uses)");
    }

    @Test
    void valueErrorsNameTheKeyPath() {
        assertRejected("timeouts:\n  idle: fast\n")
                .hasMessage("timeouts.idle: \"fast\" (expected: a duration such as 500ms, 30s, 2m)");
        assertRejected("timeouts:\n  connect: 0\n").hasMessage("timeouts.connect: 0s (expected: more than 0)");
        assertRejected("timeouts:\n  first_token: 11m\n")
                .hasMessage("timeouts.first_token: 660s (expected: at most timeouts.total (600s))");
        assertRejected("timeouts:\n  total: 30s\n")
                .hasMessage("timeouts.total: 30s (expected: at least timeouts.first_token (120s))");
        assertRejected("timeouts:\n  first_token: 10s\n  total: 30s\n")
                .hasMessage("timeouts.total: 30s (expected: at least timeouts.idle (60s))");
        assertRejected("server:\n  port: 70000\n").hasMessage("server.port: 70000 (expected: 0-65535)");
        assertRejected("server:\n  port: http\n").hasMessage("server.port: \"http\" (expected: 0-65535)");
        assertRejected("server:\n  host: ''\n").hasMessage("server.host: \"\" (expected: a host name or IP address)");
        assertRejected("limits:\n  max_body_bytes: 4MB\n").hasMessage(
                "limits.max_body_bytes: \"4MB\" (expected: a size such as 512KiB, 4MiB or 1048576)");
        assertRejected("limits:\n  max_body_bytes: 100\n")
                .hasMessage("limits.max_body_bytes: 100 (expected: 1KiB to 1GiB)");
        assertRejected("probe_local: maybe\n").hasMessage("probe_local: \"maybe\" (expected: true or false)");
        assertRejected("builtin:\n  tokens_per_second: -3\n").hasMessage(
                "builtin.tokens_per_second: -3.0 (expected: a number, 0 or more (0 = as fast as possible))");
        assertRejected("builtin:\n  tokens_per_second: fast\n").hasMessage(
                "builtin.tokens_per_second: \"fast\" (expected: a number, 0 or more (0 = as fast as possible))");
        assertRejected("logging:\n  format: xml\n").hasMessage("logging.format: \"xml\" (expected: auto, json or text)");
        assertRejected("auth:\n  api_keys: ['has space']\n")
                .hasMessage("auth.api_keys[0]: \"****\" (expected: a key without spaces or commas)");
        assertRejected("auth:\n  api_keys: [k]\n  forward_client_authorization: true\n")
                .message().startsWith("auth.forward_client_authorization: true (expected: false while auth.api_keys is set");
    }
}
