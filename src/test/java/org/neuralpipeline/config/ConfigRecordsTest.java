package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.observability.Redaction;

/** Every rule the records enforce, with its exact message (canonical keys; the loader re-labels them). */
class ConfigRecordsTest {
    private static final URI LMSTUDIO = URI.create("http://127.0.0.1:1234/v1");

    @Test
    void defaultsAreTheDocumentedOnes() {
        PipelineConfig d = PipelineConfig.DEFAULTS;
        assertThat(d.server()).isEqualTo(new ServerConfig("127.0.0.1", 8765));
        assertThat(d.limits().maxBodyBytes()).isEqualTo(4_194_304L);
        assertThat(d.timeouts()).isEqualTo(new TimeoutsConfig(Duration.ofSeconds(5), Duration.ofSeconds(120),
                Duration.ofSeconds(60), Duration.ofSeconds(600), Duration.ofSeconds(15)));
        assertThat(d.upstreams()).isEmpty();
        assertThat(d.probeLocal()).isTrue();
        assertThat(d.builtin()).isEqualTo(new BuiltinConfig(true, 30.0));
        assertThat(d.auth()).isEqualTo(new AuthConfig(List.of(), false));
        assertThat(d.auth().required()).isFalse();
        assertThat(d.logging()).isEqualTo(new LoggingConfig("auto", false));
        assertThat(d.broadcast()).isEqualTo(new BroadcastConfig(1000, 100, BroadcastConfig.SlowViewerPolicy.DROP_OLDEST,
                10_000, 10_000, Duration.ofSeconds(30), Duration.ofMinutes(5), 65_536, Duration.ofMillis(16), 16, 65_536, 8, true, "",
                ""));
    }

    private static BroadcastConfig broadcast(int queue, int threshold, int replay, Duration heartbeat, Duration stale,
            long sendBuffer, int order, String token) {
        return new BroadcastConfig(queue, threshold, BroadcastConfig.SlowViewerPolicy.CLOSE, 10, replay, heartbeat,
                stale, sendBuffer, Duration.ZERO, 16, 65_536, order, true, token, "");
    }

    @Test
    void broadcastLimitsAreCheckedWithTheirKeys() {
        Duration s = Duration.ofSeconds(1);
        Duration m = Duration.ofMinutes(1);
        assertThatThrownBy(() -> broadcast(0, 1, 0, s, m, 0, 8, ""))
                .hasMessage("broadcast.queue_size: 0 (expected: 1 to 1000000)");
        assertThatThrownBy(() -> broadcast(10, 11, 0, s, m, 0, 8, ""))
                .hasMessage("broadcast.backpressure_threshold: 11 (expected: 1 to broadcast.queue_size (10))");
        assertThatThrownBy(() -> broadcast(10, 5, -1, s, m, 0, 8, ""))
                .hasMessage("broadcast.replay_size: -1 (expected: 0 to 1000000 (0: no replay))");
        assertThatThrownBy(() -> broadcast(10, 5, 0, Duration.ZERO, m, 0, 8, ""))
                .hasMessage("broadcast.heartbeat: 0s (expected: more than 0)");
        assertThatThrownBy(() -> broadcast(10, 5, 0, m, s, 0, 8, ""))
                .hasMessage("broadcast.stale_timeout: 1s (expected: more than broadcast.heartbeat (60s))");
        assertThatThrownBy(() -> broadcast(10, 5, 0, s, m, 1024, 8, ""))
                .hasMessage("broadcast.send_buffer: 1KiB (expected: 0 (the OS default) or 4KiB to 16MiB)");
        assertThatThrownBy(() -> broadcast(10, 5, 0, s, m, 0, 17, ""))
                .hasMessage("broadcast.hilbert_order: 17 (expected: 1 to 16)");
        assertThat(broadcast(1, 1, 0, s, m, 4096, 1, "").replaySize()).isZero();
    }

    @Test
    void theIngestTokenIsNeverShown() {
        Duration s = Duration.ofSeconds(1);
        Duration m = Duration.ofMinutes(1);
        assertThatThrownBy(() -> broadcast(10, 5, 0, s, m, 0, 8, "has space"))
                .hasMessage("broadcast.ingest_token: \"****\" (expected: a token without spaces (empty: none))");
        BroadcastConfig c = broadcast(10, 5, 0, s, m, 0, 8, "t0ken");
        assertThat(c.ingestTokenRequired()).isTrue();
        assertThat(c.toString()).doesNotContain("t0ken").contains("ingestToken=(masked)");
    }

    @Test
    void slowViewerPolicyReadsItsFileNames() {
        assertThat(BroadcastConfig.SlowViewerPolicy.parse("k", " Close "))
                .isEqualTo(BroadcastConfig.SlowViewerPolicy.CLOSE);
        assertThatThrownBy(() -> BroadcastConfig.SlowViewerPolicy.parse("broadcast.slow_viewer_policy", "kick"))
                .hasMessage("broadcast.slow_viewer_policy: \"kick\" (expected: drop_oldest or close)");
    }

    @Test
    void serverNeedsAHostAndAPortInRange() {
        assertThatThrownBy(() -> new ServerConfig(" ", 80))
                .hasMessage("server.host: \" \" (expected: a host name or IP address)");
        assertThatThrownBy(() -> new ServerConfig(null, 80))
                .hasMessage("server.host: missing (expected: a host name or IP address)");
        assertThatThrownBy(() -> new ServerConfig("::1", 65_536)).hasMessage("server.port: 65536 (expected: 0-65535)");
        assertThatThrownBy(() -> new ServerConfig("::1", -1)).hasMessage("server.port: -1 (expected: 0-65535)");
        assertThat(new ServerConfig("::1", 0).port()).isZero();
    }

    @Test
    void bodyLimitIsBetweenOneKibibyteAndOneGibibyte() {
        assertThatThrownBy(() -> new LimitsConfig(1023))
                .isInstanceOf(ConfigException.class)
                .hasMessage("limits.max_body_bytes: 1023 (expected: 1KiB to 1GiB)");
        assertThatThrownBy(() -> new LimitsConfig(2L << 30))
                .hasMessage("limits.max_body_bytes: 2GiB (expected: 1KiB to 1GiB)");
        assertThat(new LimitsConfig(1024).maxBodyBytes()).isEqualTo(1024);
        assertThat(new LimitsConfig(1L << 30).maxBodyBytes()).isEqualTo(1L << 30);
    }

    @Test
    void timeoutsArePositiveAndFirstTokenAndIdleFitInTotal() {
        Duration s = Duration.ofSeconds(1);
        assertThatThrownBy(() -> new TimeoutsConfig(Duration.ZERO, s, s, s, s))
                .hasMessage("timeouts.connect: 0s (expected: more than 0)");
        assertThatThrownBy(() -> new TimeoutsConfig(s, Duration.ofMillis(-5), s, s, s))
                .hasMessage("timeouts.first_token: -5ms (expected: more than 0)");
        assertThatThrownBy(() -> new TimeoutsConfig(s, s, null, s, s))
                .hasMessage("timeouts.idle: missing (expected: more than 0)");
        assertThatThrownBy(() -> new TimeoutsConfig(s, s, s, Duration.ZERO, s))
                .hasMessage("timeouts.total: 0s (expected: more than 0)");
        assertThatThrownBy(() -> new TimeoutsConfig(s, s, s, s, Duration.ZERO))
                .hasMessage("timeouts.keep_alive: 0s (expected: more than 0)");
        assertThatThrownBy(() -> new TimeoutsConfig(s, Duration.ofSeconds(700), s, Duration.ofSeconds(600), s))
                .hasMessage("timeouts.first_token: 700s (expected: at most timeouts.total (600s))");
        assertThatThrownBy(() -> new TimeoutsConfig(s, s, Duration.ofMinutes(11), Duration.ofMinutes(10), s))
                .hasMessage("timeouts.idle: 660s (expected: at most timeouts.total (600s))");
        assertThat(new TimeoutsConfig(s, s, s, s, Duration.ofHours(1)).keepAlive()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void upstreamNamesAreShortLowerCaseAndNotBuiltin() {
        assertThat(UpstreamConfig.of("lm-studio_2", LMSTUDIO).name()).isEqualTo("lm-studio_2");
        assertThat(UpstreamConfig.of("a".repeat(32), LMSTUDIO).name()).hasSize(32);
        for (String bad : Arrays.asList("LM Studio", "-lead", "", "a".repeat(33), "émile", null)) {
            assertThatThrownBy(() -> UpstreamConfig.of(bad, LMSTUDIO))
                    .hasMessage("upstream.name: " + (bad == null ? "missing" : '"' + bad + '"')
                            + " (expected: 1-32 characters of a-z, 0-9, _ and -, starting with a letter or digit)");
        }
        assertThatThrownBy(() -> UpstreamConfig.of("builtin", LMSTUDIO))
                .hasMessage("upstream.name: \"builtin\" (expected: a name other than builtin, which is the built-in model)");
    }

    @Test
    void upstreamUrlIsAnAbsoluteHttpBaseUrl() {
        String expected = " (expected: an absolute http:// or https:// URL)";
        assertThatThrownBy(() -> UpstreamConfig.of("lm", URI.create("lmstudio:1234")))
                .hasMessage("upstream.url: \"lmstudio:1234\"" + expected);
        assertThatThrownBy(() -> UpstreamConfig.of("lm", URI.create("/v1"))).hasMessage("upstream.url: \"/v1\"" + expected);
        assertThatThrownBy(() -> UpstreamConfig.of("lm", URI.create("ftp://host/v1")))
                .hasMessage("upstream.url: \"ftp://host/v1\"" + expected);
        assertThatThrownBy(() -> UpstreamConfig.of("lm", null)).hasMessage("upstream.url: missing" + expected);
        assertThatThrownBy(() -> UpstreamConfig.of("lm", URI.create("http://host/v1?key=1")))
                .hasMessage("upstream.url: \"http://host/v1?key=1\" (expected: a base URL without ?query or #fragment)");
        assertThatThrownBy(() -> UpstreamConfig.parseUrl("upstreams[0].url", "http://host name/v1"))
                .hasMessage("upstreams[0].url: \"http://host name/v1\"" + expected);
    }

    @Test
    void upstreamUrlWithCredentialsIsRejectedWithoutShowingThem() {
        assertThatThrownBy(() -> UpstreamConfig.of("lm", URI.create("https://user:s3cret@host/v1")))
                .hasMessage("upstream.url: \"https://****@host/v1\" (expected: a URL without user:password@; "
                        + "put the key in an environment variable named by api_key_env)")
                .message().doesNotContain("s3cret");
        assertThatThrownBy(() -> UpstreamConfig.parseUrl("--upstream", "http://u:s3cret@bad host/"))
                .message().doesNotContain("s3cret");
    }

    @Test
    void upstreamUrlLosesItsTrailingSlashes() {
        assertThat(UpstreamConfig.of("lm", URI.create("http://127.0.0.1:1234/v1/")).url()).isEqualTo(LMSTUDIO);
        assertThat(UpstreamConfig.of("lm", URI.create("HTTPS://host//")).url()).isEqualTo(URI.create("HTTPS://host"));
    }

    @Test
    void upstreamKeyVariableModelsAndDefaults() {
        UpstreamConfig u = UpstreamConfig.of("lm", LMSTUDIO);
        assertThat(u.apiKeyEnv()).isNull();
        assertThat(u.apiKey()).isNull();
        assertThat(u.models()).isEmpty();
        assertThat(u.includeUsage()).isTrue();
        assertThatThrownBy(() -> new UpstreamConfig("lm", LMSTUDIO, "my-key", null, List.of(), true))
                .hasMessage("upstream.api_key_env: \"my-key\" (expected: the name of an environment variable, "
                        + "such as LMSTUDIO_API_KEY)");
        assertThatThrownBy(() -> new UpstreamConfig("lm", LMSTUDIO, null, null, List.of("qwen", " "), true))
                .hasMessage("upstream.models[1]: \" \" (expected: a model id)");
        assertThat(new UpstreamConfig("lm", LMSTUDIO, "K", "", List.of(), true).apiKey()).isNull();
    }

    @Test
    void upstreamToStringMasksTheKey() {
        UpstreamConfig u = new UpstreamConfig("lm", LMSTUDIO, "LM_KEY", "sk-very-secret", List.of("m"), false);
        assertThat(u.toString()).doesNotContain("sk-very-secret").contains("apiKey=****", "LM_KEY", "lm");
    }

    @Test
    void builtinPaceIsZeroOrMore() {
        String expected = " (expected: a number, 0 or more (0 = as fast as possible))";
        assertThatThrownBy(() -> new BuiltinConfig(true, -1)).hasMessage("builtin.tokens_per_second: -1.0" + expected);
        assertThatThrownBy(() -> new BuiltinConfig(true, Double.NaN)).hasMessage("builtin.tokens_per_second: NaN" + expected);
        assertThatThrownBy(() -> new BuiltinConfig(true, Double.POSITIVE_INFINITY))
                .hasMessage("builtin.tokens_per_second: Infinity" + expected);
        assertThat(new BuiltinConfig(false, 0).tokensPerSecond()).isZero();
    }

    @Test
    void apiKeysAreValidatedWithoutEverBeingEchoed() {
        assertThatThrownBy(() -> new AuthConfig(List.of("good", "sk bad secret"), false))
                .hasMessage("auth.api_keys[1]: \"****\" (expected: a key without spaces or commas)");
        assertThatThrownBy(() -> new AuthConfig(List.of(""), false))
                .hasMessage("auth.api_keys[0]: \"\" (expected: a key without spaces or commas)");
        assertThatThrownBy(() -> new AuthConfig(List.of("a,b"), false)).message().doesNotContain("a,b");
        assertThat(new AuthConfig(List.of("k1"), false).required()).isTrue();
    }

    @Test
    void clientAuthorizationIsNotForwardedWhileWeRequireKeys() {
        assertThatThrownBy(() -> new AuthConfig(List.of("k1"), true))
                .hasMessage("auth.forward_client_authorization: true (expected: false while auth.api_keys is set: "
                        + "clients then send one of our keys, which must not reach upstreams)");
        assertThat(new AuthConfig(List.of(), true).forwardClientAuthorization()).isTrue();
    }

    @Test
    void authToStringMasksTheKeys() {
        assertThat(new AuthConfig(List.of("sk-one", "sk-two"), false).toString())
                .doesNotContain("sk-one", "sk-two").contains("2 (masked)");
    }

    @Test
    void maskIsTheOneObservabilityUses() {
        assertThat(AuthConfig.MASK).isEqualTo(Redaction.MASK);
    }

    @Test
    void logFormatIsAutoJsonOrTextInAnyCase() {
        assertThat(new LoggingConfig("JSON", true).format()).isEqualTo("json");
        assertThatThrownBy(() -> new LoggingConfig("xml", false))
                .hasMessage("logging.format: \"xml\" (expected: auto, json or text)");
    }

    @Test
    void upstreamNamesAreUnique() {
        List<UpstreamConfig> twice = List.of(UpstreamConfig.of("a", LMSTUDIO), UpstreamConfig.of("b", LMSTUDIO),
                UpstreamConfig.of("a", LMSTUDIO));
        assertThatThrownBy(() -> PipelineConfig.DEFAULTS.withUpstreams(twice))
                .hasMessage("upstreams[2].name: \"a\" (expected: a name no other upstream uses)");
    }

    @Test
    void withersReplaceOnePart() {
        PipelineConfig c = PipelineConfig.DEFAULTS
                .withServer(new ServerConfig("0.0.0.0", 0))
                .withUpstreams(List.of(UpstreamConfig.of("lm", LMSTUDIO)))
                .withProbeLocal(false)
                .withLimits(new LimitsConfig(2048))
                .withTimeouts(TimeoutsConfig.DEFAULTS)
                .withBuiltin(new BuiltinConfig(false, 0))
                .withAuth(new AuthConfig(List.of("k"), false))
                .withLogging(new LoggingConfig("text", true));
        assertThat(c).isEqualTo(new PipelineConfig(new ServerConfig("0.0.0.0", 0), new LimitsConfig(2048),
                TimeoutsConfig.DEFAULTS, List.of(UpstreamConfig.of("lm", LMSTUDIO)), false,
                new BuiltinConfig(false, 0), new AuthConfig(List.of("k"), false), new LoggingConfig("text", true)));
    }
}
