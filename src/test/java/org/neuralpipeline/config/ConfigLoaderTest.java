package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers and precedence: flags over environment over file over defaults, per key; upstream lists. */
class ConfigLoaderTest {
    private static final String FILE = """
            server:
              host: 10.0.0.1
              port: 7000
            timeouts:
              idle: 20s
            upstreams:
              - name: lmstudio
                url: http://127.0.0.1:1234/v1
                api_key_env: LM_KEY
                models: [qwen]
            """;

    @TempDir
    Path dir;

    private static LoadedConfig load(String yaml, ConfigFlags flags, Map<String, String> env) {
        return ConfigLoader.load(yaml == null ? null : "np.yaml", yaml, flags, env);
    }

    private static ConfigFlags flags(String host, Integer port, String... upstreams) {
        return new ConfigFlags(null, host, port, List.of(upstreams), null);
    }

    @Test
    void eachKeyComesFromTheHighestLayerThatSetsIt() {
        // port: flag > env > file; host: env > file; idle: file; connect: default
        LoadedConfig loaded = load(FILE, flags(null, 9000), Map.of(
                "NEURAL_PIPELINE_SERVER_PORT", "8000", "NEURAL_PIPELINE_SERVER_HOST", "0.0.0.0"));
        PipelineConfig c = loaded.config();
        assertThat(c.server()).isEqualTo(new ServerConfig("0.0.0.0", 9000));
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.timeouts().connect()).isEqualTo(TimeoutsConfig.DEFAULT_CONNECT);
        assertThat(loaded.origin("server.port")).isEqualTo(new Origin(Origin.Kind.FLAG, "--port"));
        assertThat(loaded.origin("server.host")).isEqualTo(new Origin(Origin.Kind.ENV, "NEURAL_PIPELINE_SERVER_HOST"));
        assertThat(loaded.origin("timeouts.idle")).isEqualTo(new Origin(Origin.Kind.FILE, "np.yaml"));
        assertThat(loaded.origin("timeouts.connect")).isEqualTo(Origin.DEFAULT);
        assertThat(loaded.origin("upstreams")).hasToString("file np.yaml");
    }

    @Test
    void envBeatsFileAndFlagBeatsEnvForTheSameKey() {
        assertThat(load(FILE, ConfigFlags.NONE, Map.of()).config().server().port()).isEqualTo(7000);
        assertThat(load(FILE, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_SERVER_PORT", "8000")).config().server().port())
                .isEqualTo(8000);
        assertThat(load(FILE, flags("::1", 9000), Map.of("NEURAL_PIPELINE_SERVER_PORT", "8000")).config().server())
                .isEqualTo(new ServerConfig("::1", 9000));
        assertThat(load(null, ConfigFlags.NONE, Map.of()).config()).isEqualTo(PipelineConfig.DEFAULTS);
    }

    @Test
    void readsEveryKeyFromTheEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("NEURAL_PIPELINE_SERVER_HOST", "0.0.0.0");
        env.put("NEURAL_PIPELINE_SERVER_PORT", "9100");
        env.put("NEURAL_PIPELINE_LIMITS_MAX_BODY_BYTES", "1MiB");
        env.put("NEURAL_PIPELINE_TIMEOUTS_CONNECT", "1s");
        env.put("NEURAL_PIPELINE_TIMEOUTS_FIRST_TOKEN", "30s");
        env.put("NEURAL_PIPELINE_TIMEOUTS_IDLE", "10s");
        env.put("NEURAL_PIPELINE_TIMEOUTS_TOTAL", "2m");
        env.put("NEURAL_PIPELINE_TIMEOUTS_KEEP_ALIVE", "250ms");
        env.put("NEURAL_PIPELINE_UPSTREAMS", "lmstudio=http://127.0.0.1:1234/v1, ollama=http://127.0.0.1:11434/v1/");
        env.put("NEURAL_PIPELINE_PROBE_LOCAL", "false");
        env.put("NEURAL_PIPELINE_BUILTIN_ENABLED", "false");
        env.put("NEURAL_PIPELINE_BUILTIN_TOKENS_PER_SECOND", "0");
        env.put("NEURAL_PIPELINE_AUTH_API_KEYS", "k1, k2");
        env.put("NEURAL_PIPELINE_AUTH_FORWARD_CLIENT_AUTHORIZATION", "false");
        env.put("NEURAL_PIPELINE_LOG_FORMAT", "TEXT");
        env.put("NEURAL_PIPELINE_LOG_PROMPTS", "true");
        env.put("NEURAL_PIPELINE_BROADCAST_QUEUE_SIZE", "500");
        env.put("NEURAL_PIPELINE_BROADCAST_BACKPRESSURE_THRESHOLD", "50");
        env.put("NEURAL_PIPELINE_BROADCAST_SLOW_VIEWER_POLICY", "close");
        env.put("NEURAL_PIPELINE_BROADCAST_MAX_VIEWERS", "7");
        env.put("NEURAL_PIPELINE_BROADCAST_REPLAY_SIZE", "0");
        env.put("NEURAL_PIPELINE_BROADCAST_HEARTBEAT", "5s");
        env.put("NEURAL_PIPELINE_BROADCAST_STALE_TIMEOUT", "1m");
        env.put("NEURAL_PIPELINE_BROADCAST_SEND_BUFFER", "0");
        env.put("NEURAL_PIPELINE_BROADCAST_FLUSH_INTERVAL", "0");
        env.put("NEURAL_PIPELINE_BROADCAST_STATE_EVERY_TOKENS", "4");
        env.put("NEURAL_PIPELINE_BROADCAST_VOCABULARY_SIZE", "1000");
        env.put("NEURAL_PIPELINE_BROADCAST_HILBERT_ORDER", "5");
        env.put("NEURAL_PIPELINE_BROADCAST_INGEST_ENABLED", "false");
        env.put("NEURAL_PIPELINE_BROADCAST_INGEST_TOKEN", "s3cret");
        env.put("NEURAL_PIPELINE_BROADCAST_INGEST_SOCKET", "/run/np.sock");
        LoadedConfig loaded = load(null, ConfigFlags.NONE, env);
        assertThat(loaded.config()).isEqualTo(new PipelineConfig(
                new ServerConfig("0.0.0.0", 9100),
                new LimitsConfig(1 << 20),
                new TimeoutsConfig(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10),
                        Duration.ofMinutes(2), Duration.ofMillis(250)),
                List.of(UpstreamConfig.of("lmstudio", URI.create("http://127.0.0.1:1234/v1")),
                        UpstreamConfig.of("ollama", URI.create("http://127.0.0.1:11434/v1"))),
                false,
                new BuiltinConfig(false, 0),
                new AuthConfig(List.of("k1", "k2"), false),
                new LoggingConfig("text", true),
                new BroadcastConfig(500, 50, BroadcastConfig.SlowViewerPolicy.CLOSE, 7, 0, Duration.ofSeconds(5),
                        Duration.ofMinutes(1), 0, Duration.ZERO, 4, 1000, 5, false, "s3cret", "/run/np.sock")));
        for (ConfigKeys.Key key : ConfigKeys.KEYS) {
            if (key.env() != null) {
                assertThat(loaded.origin(key.path())).as(key.path()).isEqualTo(new Origin(Origin.Kind.ENV, key.env()));
            }
        }
        assertThat(loaded.origin("upstreams[1].url")).hasToString("env NEURAL_PIPELINE_UPSTREAMS");
        assertThat(env.keySet()).containsExactlyInAnyOrderElementsOf(
                ConfigKeys.environmentVariables().stream().filter(v -> !v.equals(ConfigLoader.CONFIG_ENV)).toList());
    }

    @Test
    void emptyEnvironmentVariablesCountAsUnset() {
        Map<String, String> env = Map.of("NEURAL_PIPELINE_SERVER_PORT", "", "NEURAL_PIPELINE_UPSTREAMS", " ",
                "NEURAL_PIPELINE_AUTH_API_KEYS", "");
        PipelineConfig c = load(FILE + "auth:\n  api_keys: [file-key]\n", ConfigFlags.NONE, env).config();
        assertThat(c.server().port()).isEqualTo(7000);
        assertThat(c.upstreams()).extracting(UpstreamConfig::name).containsExactly("lmstudio");
        assertThat(c.auth().apiKeys()).containsExactly("file-key");
    }

    @Test
    void environmentErrorsNameTheVariable() {
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_SERVER_PORT", "http")))
                .hasMessage("NEURAL_PIPELINE_SERVER_PORT: \"http\" (expected: 0-65535)");
        assertThatThrownBy(() -> load(FILE, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_SERVER_PORT", "70000")))
                .hasMessage("NEURAL_PIPELINE_SERVER_PORT: 70000 (expected: 0-65535)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_TIMEOUTS_IDLE", "fast")))
                .hasMessage("NEURAL_PIPELINE_TIMEOUTS_IDLE: \"fast\" (expected: a duration such as 500ms, 30s, 2m)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_TIMEOUTS_IDLE", "11m")))
                .hasMessage("NEURAL_PIPELINE_TIMEOUTS_IDLE: 660s (expected: at most timeouts.total (600s))");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_TIMEOUTS_TOTAL", "1m")))
                .hasMessage("NEURAL_PIPELINE_TIMEOUTS_TOTAL: 60s (expected: at least timeouts.first_token (120s))");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_LOG_FORMAT", "xml")))
                .hasMessage("NEURAL_PIPELINE_LOG_FORMAT: \"xml\" (expected: auto, json or text)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_PROBE_LOCAL", "yes")))
                .hasMessage("NEURAL_PIPELINE_PROBE_LOCAL: \"yes\" (expected: true or false)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_LIMITS_MAX_BODY_BYTES", "10")))
                .hasMessage("NEURAL_PIPELINE_LIMITS_MAX_BODY_BYTES: 10 (expected: 1KiB to 1GiB)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_AUTH_API_KEYS", "ok,bad key")))
                .hasMessage("NEURAL_PIPELINE_AUTH_API_KEYS[1]: \"****\" (expected: a key without spaces or commas)");
    }

    @Test
    void flagErrorsNameTheFlag() {
        assertThatThrownBy(() -> load(FILE, flags(null, 70000), Map.of()))
                .hasMessage("--port: 70000 (expected: 0-65535)");
        assertThatThrownBy(() -> load(FILE, flags(" ", null), Map.of()))
                .hasMessage("--host: \" \" (expected: a host name or IP address)");
    }

    @Test
    void upstreamsFromTheEnvironmentReplaceTheFilesList() {
        PipelineConfig c = load(FILE, ConfigFlags.NONE,
                Map.of("NEURAL_PIPELINE_UPSTREAMS", "ollama=http://127.0.0.1:11434/v1,")).config();
        assertThat(c.upstreams()).containsExactly(UpstreamConfig.of("ollama", URI.create("http://127.0.0.1:11434/v1")));
    }

    @Test
    void upstreamFlagsAddToTheConfiguredList() {
        LoadedConfig loaded = load(FILE, flags(null, null, "ollama=http://127.0.0.1:11434/v1",
                "vllm = https://gpu:8000/v1"), Map.of("LM_KEY", "sk-lm"));
        assertThat(loaded.config().upstreams()).extracting(UpstreamConfig::name, u -> u.url().toString())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("lmstudio", "http://127.0.0.1:1234/v1"),
                        org.assertj.core.groups.Tuple.tuple("ollama", "http://127.0.0.1:11434/v1"),
                        org.assertj.core.groups.Tuple.tuple("vllm", "https://gpu:8000/v1"));
        assertThat(loaded.origin("upstreams[0].url")).hasToString("file np.yaml");
        assertThat(loaded.origin("upstreams[2].url")).hasToString("flag --upstream");
    }

    @Test
    void anUpstreamFlagNamingAConfiguredUpstreamRePointsItAndKeepsItsSettings() {
        LoadedConfig loaded = load(FILE, flags(null, null, "lmstudio=http://10.0.0.5:1234/v1"), Map.of("LM_KEY", "sk"));
        assertThat(loaded.config().upstreams()).containsExactly(new UpstreamConfig("lmstudio",
                URI.create("http://10.0.0.5:1234/v1"), "LM_KEY", "sk", List.of("qwen"), true));
        assertThat(loaded.origin("upstreams[0].url")).hasToString("flag --upstream");
        assertThat(loaded.origin("upstreams[0].models")).hasToString("file np.yaml");
    }

    @Test
    void upstreamPairErrorsShowThePairAsWritten() {
        assertThatThrownBy(() -> load(null, flags(null, null, "lmstudio"), Map.of()))
                .hasMessage("--upstream: \"lmstudio\" (expected: NAME=URL, such as lmstudio=http://127.0.0.1:1234/v1)");
        assertThatThrownBy(() -> load(null, flags(null, null, "lm=lmstudio:1234"), Map.of()))
                .hasMessage("--upstream: \"lm=lmstudio:1234\" (expected: an absolute http:// or https:// URL)");
        assertThatThrownBy(() -> load(null, flags(null, null, "LM=http://h/v1"), Map.of())).hasMessage(
                "--upstream: \"LM=http://h/v1\" (expected: 1-32 characters of a-z, 0-9, _ and -, starting with a letter or digit)");
        assertThatThrownBy(() -> load(null, flags(null, null, "a=http://h/v1", "a=http://i/v1"), Map.of()))
                .hasMessage("--upstream: \"a=http://i/v1\" (expected: a name no other --upstream uses)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_UPSTREAMS", "a=http://h/v1,=x")))
                .hasMessage("NEURAL_PIPELINE_UPSTREAMS: \"=x\" (expected: NAME=URL, such as lmstudio=http://127.0.0.1:1234/v1)");
        assertThatThrownBy(() -> load(null, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_UPSTREAMS", "a=http://h/v1,a=http://i/v1")))
                .hasMessage("NEURAL_PIPELINE_UPSTREAMS: \"a\" (expected: a name no other upstream uses)");
        assertThatThrownBy(() -> load(null, flags(null, null, "a=https://me:pa55@h/v1"), Map.of()))
                .hasMessage("--upstream: \"a=https://****@h/v1\" (expected: a URL without user:password@; "
                        + "put the key in an environment variable named by api_key_env)");
    }

    @Test
    void apiKeysFromTheEnvironmentReplaceTheFilesWithoutReadingItsVariable() {
        String yaml = "auth:\n  api_keys_env: UNSET_VARIABLE\n";
        LoadedConfig loaded = load(yaml, ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_AUTH_API_KEYS", "k9"));
        assertThat(loaded.config().auth().apiKeys()).containsExactly("k9");
        assertThat(load(yaml, ConfigFlags.NONE, Map.of("UNSET_VARIABLE", "k1")).origin("auth.api_keys"))
                .hasToString("file np.yaml, $UNSET_VARIABLE");
    }

    @Test
    void logFormatFlagIsTheTopLayer() {
        LoadedConfig loaded = load("logging:\n  format: json\n", new ConfigFlags(null, null, null, List.of(), "text"),
                Map.of("NEURAL_PIPELINE_LOG_FORMAT", "auto"));
        assertThat(loaded.config().logging().format()).isEqualTo("text");
        assertThat(loaded.origin("logging.format")).hasToString("flag --log-format");
    }

    @Test
    void readsTheFileNamedByTheFlagOrElseTheEnvironment() throws IOException {
        Path flagFile = Files.writeString(dir.resolve("flag.yaml"), "server:\n  port: 1111\n");
        Path envFile = Files.writeString(dir.resolve("env.yaml"), "server:\n  port: 2222\n");
        Map<String, String> env = Map.of("NEURAL_PIPELINE_CONFIG", envFile.toString());
        assertThat(ConfigLoader.load(new ConfigFlags(flagFile, null, null, List.of(), null), env).server().port())
                .isEqualTo(1111);
        assertThat(ConfigLoader.load(ConfigFlags.NONE, env).server().port()).isEqualTo(2222);
        assertThat(ConfigLoader.loadWithOrigins(ConfigFlags.NONE, env).origin("server.port"))
                .isEqualTo(new Origin(Origin.Kind.FILE, envFile.toString()));
        assertThat(ConfigLoader.load(ConfigFlags.NONE, Map.of())).isEqualTo(PipelineConfig.DEFAULTS);
    }

    @Test
    void aMissingOrUnreadableFileIsAnError() throws IOException {
        Path missing = dir.resolve("missing.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(new ConfigFlags(missing, null, null, List.of(), null), Map.of()))
                .hasMessage("--config: \"" + missing + "\" (expected: an existing YAML file; there is no such file)");
        assertThatThrownBy(() -> ConfigLoader.load(ConfigFlags.NONE, Map.of("NEURAL_PIPELINE_CONFIG", missing.toString())))
                .hasMessage("NEURAL_PIPELINE_CONFIG: \"" + missing + "\" (expected: an existing YAML file; there is no such file)");
        assertThatThrownBy(() -> ConfigLoader.load(new ConfigFlags(dir, null, null, List.of(), null), Map.of()))
                .isInstanceOf(ConfigException.class)
                .message().startsWith("--config: \"" + dir + "\" (expected: a readable YAML file (");
        Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'#', ' ', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> ConfigLoader.load(new ConfigFlags(latin1, null, null, List.of(), null), Map.of()))
                .hasMessage("--config: \"" + latin1 + "\" (expected: a YAML file in UTF-8)");
    }

    @Test
    void errorsInTheFileNameTheFilesKeys() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "server:\n  prot: 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(new ConfigFlags(bad, null, null, List.of(), null), Map.of()))
                .hasMessage("server.prot: unknown key (expected: one of host, port; did you mean port?)");
    }
}
