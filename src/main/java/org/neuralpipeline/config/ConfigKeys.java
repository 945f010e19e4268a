package org.neuralpipeline.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The names of every option: its path in the file and its environment variable. One table, so that
 * the loader, {@code config print}, the example file's test and docs/CONFIGURATION.md's test agree.
 */
final class ConfigKeys {

    /**
     * A scalar or list option.
     *
     * @param path the key in the file, dotted ({@code timeouts.first_token})
     * @param env  its environment variable, or null when it has none
     * @param list whether the value is a list (a YAML sequence; comma-separated in the environment)
     */
    record Key(String path, String env, boolean list) {
        String section() {
            int dot = path.indexOf('.');
            return dot < 0 ? path : path.substring(0, dot);
        }

        String leaf() {
            return path.substring(path.indexOf('.') + 1);
        }
    }

    static final String ENV_PREFIX = "NEURAL_PIPELINE_";
    static final String CONFIG_ENV = "NEURAL_PIPELINE_CONFIG";
    static final String UPSTREAMS = "upstreams";
    static final String UPSTREAMS_ENV = "NEURAL_PIPELINE_UPSTREAMS";
    static final String API_KEYS = "auth.api_keys";
    static final String API_KEYS_ENV = "auth.api_keys_env";
    static final String INGEST_TOKEN = "broadcast.ingest_token";

    /** Every option except the upstream list, in the order of the file. */
    static final List<Key> KEYS = List.of(
            key("server.host"),
            key("server.port"),
            key("limits.max_body_bytes"),
            key("timeouts.connect"),
            key("timeouts.first_token"),
            key("timeouts.idle"),
            key("timeouts.total"),
            key("timeouts.keep_alive"),
            key("probe_local"),
            key("builtin.enabled"),
            key("builtin.tokens_per_second"),
            new Key(API_KEYS, envOf(API_KEYS), true),
            // an indirection for auth.api_keys, so the file need not hold secrets; pointless in the environment
            new Key(API_KEYS_ENV, null, false),
            key("auth.forward_client_authorization"),
            // these two predate the file and keep their shorter names
            new Key("logging.format", "NEURAL_PIPELINE_LOG_FORMAT", false),
            new Key("logging.log_prompts", "NEURAL_PIPELINE_LOG_PROMPTS", false),
            key("broadcast.queue_size"),
            key("broadcast.backpressure_threshold"),
            key("broadcast.slow_viewer_policy"),
            key("broadcast.max_viewers"),
            key("broadcast.replay_size"),
            key("broadcast.heartbeat"),
            key("broadcast.stale_timeout"),
            key("broadcast.send_buffer"),
            key("broadcast.flush_interval"),
            key("broadcast.state_every_tokens"),
            key("broadcast.vocabulary_size"),
            key("broadcast.hilbert_order"),
            key("broadcast.ingest_enabled"),
            key(INGEST_TOKEN),
            key("broadcast.ingest_socket"));

    /** The keys of one entry of {@code upstreams}; {@code models} is a list. */
    static final List<String> UPSTREAM_KEYS = List.of("name", "url", "api_key_env", "models", "include_usage");

    /** Top-level keys in file order: the sections and the two top-level options. */
    static final List<String> TOP_LEVEL = List.of(
            "server", "limits", "timeouts", UPSTREAMS, "probe_local", "builtin", "auth", "logging", "broadcast");

    private ConfigKeys() {
    }

    private static Key key(String path) {
        return new Key(path, envOf(path), false);
    }

    /** {@code NEURAL_PIPELINE_} and the path in upper case, {@code _} for {@code .}. */
    private static String envOf(String path) {
        return ENV_PREFIX + path.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    static Key byPath(String path) {
        for (Key k : KEYS) {
            if (k.path().equals(path)) {
                return k;
            }
        }
        return null;
    }

    /** Section name → its keys' leaves, in file order (top-level options are absent). */
    static Map<String, List<String>> sections() {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        for (Key k : KEYS) {
            if (k.path().contains(".")) {
                sections.computeIfAbsent(k.section(), s -> new ArrayList<>()).add(k.leaf());
            }
        }
        return sections;
    }

    /** Every environment variable the loader reads, including the config file and upstream list. */
    static List<String> environmentVariables() {
        List<String> names = new ArrayList<>();
        names.add(CONFIG_ENV);
        for (Key k : KEYS) {
            if (k.env() != null) {
                names.add(k.env());
            }
        }
        names.add(UPSTREAMS_ENV);
        return names;
    }

    /**
     * The message for a key that is not in {@code valid}: all valid keys at that level, and the one the
     * user probably meant (a near spelling, or the same key in another section).
     */
    static ConfigException unknown(String path, String leaf, List<String> valid) {
        String nearest = null;
        int best = Integer.MAX_VALUE;
        String typed = leaf.toLowerCase(Locale.ROOT);
        for (String v : valid) {
            // a prefix (api_key for api_key_env) counts as close as a one-letter slip
            int d = typed.length() >= 3 && (v.startsWith(typed) || typed.startsWith(v)) ? 1 : distance(typed, v);
            if (d < best) {
                best = d;
                nearest = v;
            }
        }
        String hint = "";
        if (nearest != null && best <= Math.max(1, Math.min(3, leaf.length() / 3))) {
            hint = "; did you mean " + nearest + "?";
        } else {
            for (Key k : KEYS) {
                if (k.path().endsWith("." + leaf) || (k.path().equals(leaf) && path.contains("."))) {
                    hint = "; did you mean " + k.path() + "?";
                    break;
                }
            }
        }
        return ConfigException.described(path, "unknown key", "one of " + String.join(", ", valid) + hint);
    }

    /** Edits between two keys: insertions, deletions, substitutions and swaps of neighbours ("prot", "port"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
