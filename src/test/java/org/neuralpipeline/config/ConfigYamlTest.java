package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code config print}'s YAML: the file's shape, secrets masked, origins as comments, loadable again. */
class ConfigYamlTest {

    @Test
    void secretsNeverAppear() {
        String yaml = """
                upstreams:
                  - name: vllm
                    url: https://gpu:8000/v1
                    api_key_env: VLLM_KEY
                auth:
                  api_keys_env: NP_KEYS
                """;
        LoadedConfig loaded = ConfigLoader.load("np.yaml", yaml, ConfigFlags.NONE,
                Map.of("VLLM_KEY", "sk-upstream-secret", "NP_KEYS", "sk-client-one,sk-client-two"));
        assertThat(loaded.config().upstreams().getFirst().apiKey()).isEqualTo("sk-upstream-secret");
        String printed = loaded.toYaml();
        assertThat(printed).doesNotContain("sk-upstream-secret", "sk-client-one", "sk-client-two")
                .contains("  api_keys: [\"****\", \"****\"]", "$NP_KEYS", "api_key_env: VLLM_KEY", "$VLLM_KEY is set");
    }

    @Test
    void anUnsetKeyVariableIsPointedOut() {
        LoadedConfig loaded = ConfigLoader.load("np.yaml",
                "upstreams:\n  - {name: vllm, url: 'https://gpu:8000/v1', api_key_env: VLLM_KEY}\n",
                ConfigFlags.NONE, Map.of());
        assertThat(loaded.toYaml()).containsPattern("api_key_env: VLLM_KEY +# file np.yaml; \\$VLLM_KEY is not set");
    }

    @Test
    void defaultsPrintWithoutOriginComments() {
        String printed = ConfigLoader.load(null, null, ConfigFlags.NONE, Map.of()).toYaml();
        assertThat(printed).isEqualTo("""
                # The effective configuration of Neural Pipeline. Secrets are masked (****).
                # A comment names where a value came from (file, env or flag); the others are defaults.
                # Every option is described in docs/CONFIGURATION.md.
                server:
                  host: 127.0.0.1
                  port: 8765
                limits:
                  max_body_bytes: 4MiB
                timeouts:
                  connect: 5s
                  first_token: 120s
                  idle: 60s
                  total: 600s
                  keep_alive: 15s
                upstreams: []
                probe_local: true
                builtin:
                  enabled: true
                  tokens_per_second: 30
                auth:
                  api_keys: []
                  forward_client_authorization: false
                logging:
                  format: auto
                  log_prompts: false
                broadcast:
                  queue_size: 1000
                  backpressure_threshold: 100
                  slow_viewer_policy: drop_oldest
                  max_viewers: 10000
                  replay_size: 10000
                  heartbeat: 30s
                  stale_timeout: 300s
                  send_buffer: 64KiB
                  flush_interval: 16ms
                  state_every_tokens: 16
                  vocabulary_size: 65536
                  hilbert_order: 8
                  ingest_enabled: true
                  ingest_token: ""
                  ingest_socket: ""
                """);
    }

    @Test
    void eachValueThatIsNotADefaultNamesItsOrigin() {
        LoadedConfig loaded = ConfigLoader.load("np.yaml", "timeouts:\n  idle: 20s\n",
                new ConfigFlags(null, null, 9000, List.of("lm=http://127.0.0.1:1234/v1"), null),
                Map.of("NEURAL_PIPELINE_BUILTIN_TOKENS_PER_SECOND", "2.5"));
        assertThat(loaded.toYaml())
                .containsPattern("\n  port: 9000 +# flag --port\n")
                .containsPattern("\n  idle: 20s +# file np.yaml\n")
                .containsPattern("\n  tokens_per_second: 2.5 +# env NEURAL_PIPELINE_BUILTIN_TOKENS_PER_SECOND\n")
                .containsPattern("\n  - name: lm +# flag --upstream\n    url: http://127.0.0.1:1234/v1 +# flag --upstream\n")
                .contains("\n  host: 127.0.0.1\n");
    }

    @Test
    void printedConfigurationLoadsBackToTheSame() {
        PipelineConfig config = new PipelineConfig(
                new ServerConfig("::1", 0),
                new LimitsConfig(1536),
                new TimeoutsConfig(Duration.ofMillis(1500), Duration.ofMinutes(3), Duration.ofHours(1),
                        Duration.ofHours(2), Duration.ofSeconds(1)),
                List.of(new UpstreamConfig("lm", URI.create("http://127.0.0.1:1234/v1"), "LM_KEY", null,
                                List.of("qwen2.5:7b", "yes", "8080", "a #b", "\"quoted\""), false),
                        UpstreamConfig.of("ollama", URI.create("http://[::1]:11434/v1"))),
                false,
                new BuiltinConfig(false, 0.25),
                new AuthConfig(List.of(), true),
                new LoggingConfig("json", true));
        LoadedConfig loaded = new LoadedConfig(config, Map.of());
        assertThat(ConfigLoader.load("printed.yaml", loaded.toYaml(), ConfigFlags.NONE, Map.of()).config())
                .isEqualTo(config);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "http://127.0.0.1:1234/v1", "qwen2.5:7b", "lmstudio", "::1"})
    void plainScalarsStayPlain(String s) {
        assertThat(ConfigYaml.scalar(s)).isEqualTo(s.equals("::1") ? "\"::1\"" : s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "true", "8080", "1.5", "null", "~", "a #b", "a: b", "", " x", "-x", "[a]", "*a",
            "0x1F", "012"})
    void ambiguousScalarsAreQuoted(String s) {
        assertThat(ConfigYaml.scalar(s)).startsWith("\"").endsWith("\"");
    }
}
