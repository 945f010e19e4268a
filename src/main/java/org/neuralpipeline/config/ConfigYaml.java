package org.neuralpipeline.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Writes a {@link LoadedConfig} as YAML in the shape of the file, for {@code config print}. Secrets are
 * never written: API keys show as {@code ****} and an upstream shows the name of its key's variable
 * (and whether it is set), never the key.
 */
final class ConfigYaml {
    private static final int COMMENT_COLUMN = 44;
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./:@+-]*");
    private static final YAMLMapper YAML = new YAMLMapper();

    private final LoadedConfig loaded;
    private final StringBuilder out = new StringBuilder(1024);

    private ConfigYaml(LoadedConfig loaded) {
        this.loaded = loaded;
    }

    static String write(LoadedConfig loaded) {
        return new ConfigYaml(loaded).write();
    }

    private String write() {
        PipelineConfig c = loaded.config();
        out.append("# The effective configuration of Neural Pipeline. Secrets are masked (").append(AuthConfig.MASK)
                .append(").\n# A comment names where a value came from (file, env or flag); the others are defaults.\n")
                .append("# Every option is described in docs/CONFIGURATION.md.\n");
        section("server");
        line("  host: " + scalar(c.server().host()), "server.host");
        line("  port: " + c.server().port(), "server.port");
        section("limits");
        line("  max_body_bytes: " + Values.formatSize(c.limits().maxBodyBytes()), "limits.max_body_bytes");
        section("timeouts");
        TimeoutsConfig t = c.timeouts();
        line("  connect: " + Values.formatDuration(t.connect()), "timeouts.connect");
        line("  first_token: " + Values.formatDuration(t.firstToken()), "timeouts.first_token");
        line("  idle: " + Values.formatDuration(t.idle()), "timeouts.idle");
        line("  total: " + Values.formatDuration(t.total()), "timeouts.total");
        line("  keep_alive: " + Values.formatDuration(t.keepAlive()), "timeouts.keep_alive");
        upstreams(c.upstreams());
        line("probe_local: " + c.probeLocal(), "probe_local");
        section("builtin");
        line("  enabled: " + c.builtin().enabled(), "builtin.enabled");
        line("  tokens_per_second: " + number(c.builtin().tokensPerSecond()), "builtin.tokens_per_second");
        section("auth");
        line("  api_keys: " + list(c.auth().apiKeys().stream().map(k -> AuthConfig.MASK).toList()), ConfigKeys.API_KEYS);
        line("  forward_client_authorization: " + c.auth().forwardClientAuthorization(),
                "auth.forward_client_authorization");
        section("logging");
        line("  format: " + c.logging().format(), "logging.format");
        line("  log_prompts: " + c.logging().logPrompts(), "logging.log_prompts");
        section("broadcast");
        BroadcastConfig b = c.broadcast();
        line("  queue_size: " + b.queueSize(), "broadcast.queue_size");
        line("  backpressure_threshold: " + b.backpressureThreshold(), "broadcast.backpressure_threshold");
        line("  slow_viewer_policy: " + b.slowViewerPolicy().key(), "broadcast.slow_viewer_policy");
        line("  max_viewers: " + b.maxViewers(), "broadcast.max_viewers");
        line("  replay_size: " + b.replaySize(), "broadcast.replay_size");
        line("  heartbeat: " + Values.formatDuration(b.heartbeat()), "broadcast.heartbeat");
        line("  stale_timeout: " + Values.formatDuration(b.staleTimeout()), "broadcast.stale_timeout");
        line("  send_buffer: " + Values.formatSize(b.sendBuffer()), "broadcast.send_buffer");
        line("  flush_interval: " + Values.formatDuration(b.flushInterval()), "broadcast.flush_interval");
        line("  state_every_tokens: " + b.stateEveryTokens(), "broadcast.state_every_tokens");
        line("  vocabulary_size: " + b.vocabularySize(), "broadcast.vocabulary_size");
        line("  hilbert_order: " + b.hilbertOrder(), "broadcast.hilbert_order");
        line("  ingest_enabled: " + b.ingestEnabled(), "broadcast.ingest_enabled");
        line("  ingest_token: " + scalar(b.ingestTokenRequired() ? AuthConfig.MASK : ""), ConfigKeys.INGEST_TOKEN);
        line("  ingest_socket: " + scalar(b.ingestSocket()), "broadcast.ingest_socket");
        return out.toString();
    }

    private void upstreams(List<UpstreamConfig> upstreams) {
        if (upstreams.isEmpty()) {
            line("upstreams: []", ConfigKeys.UPSTREAMS);
            return;
        }
        line("upstreams:", ConfigKeys.UPSTREAMS);
        for (int i = 0; i < upstreams.size(); i++) {
            UpstreamConfig u = upstreams.get(i);
            String key = ConfigKeys.UPSTREAMS + "[" + i + "].";
            line("  - name: " + scalar(u.name()), key + "name");
            line("    url: " + scalar(u.url().toString()), key + "url");
            if (u.apiKeyEnv() != null) {
                String state = "$" + u.apiKeyEnv() + (u.apiKey() == null ? " is not set" : " is set");
                Origin origin = loaded.origin(key + "api_key_env");
                comment("    api_key_env: " + scalar(u.apiKeyEnv()),
                        origin.kind() == Origin.Kind.DEFAULT ? state : origin + "; " + state);
            }
            line("    models: " + list(u.models()), key + "models");
            line("    include_usage: " + u.includeUsage(), key + "include_usage");
        }
    }

    private void section(String name) {
        out.append(name).append(":\n");
    }

    private void line(String text, String key) {
        Origin origin = loaded.origin(key);
        comment(text, origin.kind() == Origin.Kind.DEFAULT ? null : origin.toString());
    }

    private void comment(String text, String comment) {
        out.append(text);
        if (comment != null) {
            out.append(" ".repeat(Math.max(1, COMMENT_COLUMN - text.length()))).append("# ").append(comment);
        }
        out.append('\n');
    }

    private static String list(List<String> items) {
        return "[" + String.join(", ", items.stream().map(ConfigYaml::scalar).toList()) + "]";
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** Plain when YAML reads it back as the same string, double-quoted otherwise. */
    static String scalar(String s) {
        if (PLAIN.matcher(s).matches() && readsBackAsText(s)) {
            return s;
        }
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + '"';
    }

    private static boolean readsBackAsText(String s) {
        try {
            JsonNode node = YAML.readTree("v: " + s).get("v");
            return node != null && node.isTextual() && node.asText().equals(s);
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
