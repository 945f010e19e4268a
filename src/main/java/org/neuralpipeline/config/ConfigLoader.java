package org.neuralpipeline.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the effective {@link PipelineConfig} from four layers, each key taken from the highest one that
 * sets it: command-line flags, then environment variables, then the YAML file, then the defaults.
 *
 * <p>How it works: the file ({@link ConfigFile}), the environment and the flags each contribute raw text
 * values under canonical keys ({@code server.port}), each remembering the name the user wrote
 * ({@code server.port}, {@code NEURAL_PIPELINE_SERVER_PORT}, {@code --port}); a later layer replaces an
 * earlier one's value. Then each value is read as its type and the records are built. The records own
 * the rules (ranges, formats) and throw under their canonical key; this class re-labels such an error
 * with the name of the source that supplied the value, so the message points at what to fix.
 *
 * <p>Upstreams are a list, not a key: {@code NEURAL_PIPELINE_UPSTREAMS} replaces the file's list, and each
 * {@code --upstream NAME=URL} adds an upstream (or re-points a configured one of that name).
 * An environment variable that is empty counts as unset.
 */
public final class ConfigLoader {
    /** The environment variable naming the YAML file when {@code --config} is not given. */
    public static final String CONFIG_ENV = ConfigKeys.CONFIG_ENV;

    static final String EXAMPLE_RESOURCE = "/neural-pipeline.example.yaml";
    static final String PAIR_EXPECTED = "NAME=URL, such as lmstudio=http://127.0.0.1:1234/v1";
    private static final Pattern UPSTREAM_FIELD = Pattern.compile("upstreams\\[(\\d+)]\\.name");

    /** One upstream and the names behind it, for messages and {@code config print}. */
    private record Entry(UpstreamConfig config, String nameLabel, Map<String, Origin> origins) {
        Entry withUrl(URI url, Origin origin) {
            Map<String, Origin> o = new LinkedHashMap<>(origins);
            o.put("url", origin);
            return new Entry(new UpstreamConfig(config.name(), url, config.apiKeyEnv(), config.apiKey(),
                    config.models(), config.includeUsage()), nameLabel, o);
        }
    }

    private final Map<String, String> env;
    private final Map<String, RawValue> settings = new HashMap<>();

    private ConfigLoader(Map<String, String> env) {
        this.env = env;
    }

    /**
     * The effective configuration.
     *
     * @param flags what the user set on the command line ({@link ConfigFlags#NONE} for nothing)
     * @param env   the environment, usually {@code System.getenv()}
     * @throws ConfigException naming the key as the user wrote it, the value and what was expected
     */
    public static PipelineConfig load(ConfigFlags flags, Map<String, String> env) {
        return loadWithOrigins(flags, env).config();
    }

    /** Like {@link #load}, keeping where each value came from (for {@code config print}). */
    public static LoadedConfig loadWithOrigins(ConfigFlags flags, Map<String, String> env) {
        String label;
        String name;
        if (flags.config() != null) {
            label = "--config";
            name = flags.config().toString();
        } else if (isSet(env.get(CONFIG_ENV))) {
            label = CONFIG_ENV;
            name = env.get(CONFIG_ENV).strip();
        } else {
            return load(null, null, flags, env);
        }
        return load(name, read(label, name), flags, env);
    }

    /** Loads with {@code yaml} as the contents of the file called {@code fileName} (null: no file). */
    static LoadedConfig load(String fileName, String yaml, ConfigFlags flags, Map<String, String> env) {
        ConfigFile.Contents file = yaml == null ? ConfigFile.Contents.EMPTY : ConfigFile.parse(fileName, yaml);
        return new ConfigLoader(env).resolve(file, flags);
    }

    /** The commented example file shipped in the jar: every option at its default. */
    public static String exampleYaml() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(EXAMPLE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(EXAMPLE_RESOURCE + " is missing from the class path");
            }
            return new String(in.readAllBytes(), UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(String label, String name) {
        try {
            return Files.readString(Path.of(name));
        } catch (NoSuchFileException e) {
            throw new ConfigException(label, name, "an existing YAML file; there is no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(label, name, "a YAML file in UTF-8");
        } catch (IOException | InvalidPathException e) {
            throw new ConfigException(label, name, "a readable YAML file (" + e.getMessage() + ")");
        }
    }

    private LoadedConfig resolve(ConfigFile.Contents file, ConfigFlags flags) {
        // layer 1: the file (auth.api_keys_env is resolved below, only if no variable replaces the keys)
        RawValue apiKeysEnv = file.settings().get(ConfigKeys.API_KEYS_ENV);
        if (apiKeysEnv != null && file.settings().containsKey(ConfigKeys.API_KEYS)) {
            throw new ConfigException(apiKeysEnv.label(), apiKeysEnv.value(),
                    "only one of auth.api_keys and auth.api_keys_env");
        }
        settings.putAll(file.settings());
        settings.remove(ConfigKeys.API_KEYS_ENV);
        // layer 2: the environment
        for (ConfigKeys.Key key : ConfigKeys.KEYS) {
            String value = key.env() == null ? null : env.get(key.env());
            if (isSet(value)) {
                settings.put(key.path(), new RawValue(key.list() ? splitList(value) : value,
                        Origin.env(key.env()), key.env()));
            }
        }
        if (apiKeysEnv != null && !settings.containsKey(ConfigKeys.API_KEYS)) {
            settings.put(ConfigKeys.API_KEYS, keysFrom(apiKeysEnv));
        }
        // layer 3: the flags
        if (flags.host() != null) {
            settings.put("server.host", new RawValue(flags.host(), Origin.flag("--host"), "--host"));
        }
        if (flags.port() != null) {
            settings.put("server.port", new RawValue(flags.port().toString(), Origin.flag("--port"), "--port"));
        }
        if (flags.logFormat() != null) {
            settings.put("logging.format", new RawValue(flags.logFormat(), Origin.flag("--log-format"), "--log-format"));
        }

        // then read each value as its type and build the records; upstreams are layered as a list
        Map<String, Origin> origins = new LinkedHashMap<>();
        settings.forEach((key, raw) -> origins.put(key, raw.origin()));
        List<Entry> entries = upstreams(file, flags, origins);

        PipelineConfig config = buildPipeline(() -> new PipelineConfig(
                server(), limits(), timeouts(),
                entries.stream().map(Entry::config).toList(),
                bool("probe_local", PipelineConfig.DEFAULT_PROBE_LOCAL),
                builtin(), auth(), logging(), broadcast()), entries);
        return new LoadedConfig(config, origins);
    }

    // ---- sections ------------------------------------------------------------------------------------

    private ServerConfig server() {
        String host = text("server.host", ServerConfig.DEFAULT_HOST);
        int port = integer("server.port", ServerConfig.DEFAULT_PORT, ServerConfig.PORT_EXPECTED);
        return build(() -> new ServerConfig(host, port));
    }

    private LimitsConfig limits() {
        long maxBodyBytes = size("limits.max_body_bytes", LimitsConfig.DEFAULT_MAX_BODY_BYTES);
        return build(() -> new LimitsConfig(maxBodyBytes));
    }

    private TimeoutsConfig timeouts() {
        Duration connect = duration("timeouts.connect", TimeoutsConfig.DEFAULT_CONNECT);
        Duration firstToken = duration("timeouts.first_token", TimeoutsConfig.DEFAULT_FIRST_TOKEN);
        Duration idle = duration("timeouts.idle", TimeoutsConfig.DEFAULT_IDLE);
        Duration total = duration("timeouts.total", TimeoutsConfig.DEFAULT_TOTAL);
        Duration keepAlive = duration("timeouts.keep_alive", TimeoutsConfig.DEFAULT_KEEP_ALIVE);
        try {
            return new TimeoutsConfig(connect, firstToken, idle, total, keepAlive);
        } catch (ConfigException e) {
            // "first_token at most total": blame the one the user set, not a default they never wrote
            RawValue setTotal = settings.get("timeouts.total");
            if (setTotal != null && !settings.containsKey(e.key())
                    && (e.key().equals("timeouts.first_token") || e.key().equals("timeouts.idle"))) {
                Duration other = e.key().equals("timeouts.idle") ? idle : firstToken;
                throw new ConfigException(setTotal.label(), total,
                        "at least " + e.key() + " (" + Values.formatDuration(other) + ")");
            }
            throw relabel(e);
        }
    }

    private BuiltinConfig builtin() {
        boolean enabled = bool("builtin.enabled", BuiltinConfig.DEFAULT_ENABLED);
        double tokensPerSecond = number("builtin.tokens_per_second", BuiltinConfig.DEFAULT_TOKENS_PER_SECOND,
                BuiltinConfig.TOKENS_PER_SECOND_EXPECTED);
        return build(() -> new BuiltinConfig(enabled, tokensPerSecond));
    }

    private AuthConfig auth() {
        List<String> apiKeys = list(ConfigKeys.API_KEYS, List.of());
        boolean forward = bool("auth.forward_client_authorization", AuthConfig.DEFAULT_FORWARD_CLIENT_AUTHORIZATION);
        return build(() -> new AuthConfig(apiKeys, forward));
    }

    private LoggingConfig logging() {
        String format = text("logging.format", LoggingConfig.DEFAULT_FORMAT);
        boolean logPrompts = bool("logging.log_prompts", LoggingConfig.DEFAULT_LOG_PROMPTS);
        return build(() -> new LoggingConfig(format, logPrompts));
    }

    private BroadcastConfig broadcast() {
        int queueSize = integer("broadcast.queue_size", BroadcastConfig.DEFAULT_QUEUE_SIZE,
                BroadcastConfig.COUNT_EXPECTED);
        int threshold = integer("broadcast.backpressure_threshold", BroadcastConfig.DEFAULT_BACKPRESSURE_THRESHOLD,
                BroadcastConfig.COUNT_EXPECTED);
        RawValue rawPolicy = settings.get("broadcast.slow_viewer_policy");
        BroadcastConfig.SlowViewerPolicy policy = rawPolicy == null ? BroadcastConfig.DEFAULT_SLOW_VIEWER_POLICY
                : BroadcastConfig.SlowViewerPolicy.parse(rawPolicy.label(), (String) rawPolicy.value());
        int maxViewers = integer("broadcast.max_viewers", BroadcastConfig.DEFAULT_MAX_VIEWERS,
                BroadcastConfig.COUNT_EXPECTED);
        int replaySize = integer("broadcast.replay_size", BroadcastConfig.DEFAULT_REPLAY_SIZE,
                BroadcastConfig.REPLAY_EXPECTED);
        Duration heartbeat = duration("broadcast.heartbeat", BroadcastConfig.DEFAULT_HEARTBEAT);
        Duration stale = duration("broadcast.stale_timeout", BroadcastConfig.DEFAULT_STALE_TIMEOUT);
        long sendBuffer = size("broadcast.send_buffer", BroadcastConfig.DEFAULT_SEND_BUFFER);
        Duration flush = duration("broadcast.flush_interval", BroadcastConfig.DEFAULT_FLUSH_INTERVAL);
        int stateEvery = integer("broadcast.state_every_tokens", BroadcastConfig.DEFAULT_STATE_EVERY_TOKENS,
                BroadcastConfig.COUNT_EXPECTED);
        int vocabulary = integer("broadcast.vocabulary_size", BroadcastConfig.DEFAULT_VOCABULARY_SIZE,
                BroadcastConfig.VOCABULARY_EXPECTED);
        int order = integer("broadcast.hilbert_order", BroadcastConfig.DEFAULT_HILBERT_ORDER,
                BroadcastConfig.ORDER_EXPECTED);
        boolean ingest = bool("broadcast.ingest_enabled", BroadcastConfig.DEFAULT_INGEST_ENABLED);
        String token = text(ConfigKeys.INGEST_TOKEN, BroadcastConfig.DEFAULT_INGEST_TOKEN).strip();
        String socket = text("broadcast.ingest_socket", BroadcastConfig.DEFAULT_INGEST_SOCKET);
        return build(() -> new BroadcastConfig(queueSize, threshold, policy, maxViewers, replaySize, heartbeat, stale,
                sendBuffer, flush, stateEvery, vocabulary, order, ingest, token, socket));
    }

    /** {@code auth.api_keys_env: NAME} in the file: the keys in $NAME, which must be set (or auth would be off). */
    private RawValue keysFrom(RawValue reference) {
        String variable = ((String) reference.value()).strip();
        if (!UpstreamConfig.ENV_NAME.matcher(variable).matches()) {
            throw new ConfigException(reference.label(), variable, UpstreamConfig.API_KEY_ENV_EXPECTED);
        }
        String keys = env.get(variable);
        if (!isSet(keys)) {
            throw new ConfigException(reference.label(), variable,
                    "an environment variable holding comma-separated keys; " + variable + " is not set");
        }
        Origin origin = new Origin(reference.origin().kind(), reference.origin().name() + ", $" + variable);
        return new RawValue(splitList(keys), origin, reference.label());
    }

    // ---- upstreams -----------------------------------------------------------------------------------

    private List<Entry> upstreams(ConfigFile.Contents file, ConfigFlags flags, Map<String, Origin> origins) {
        List<Entry> entries = new ArrayList<>();
        String fromEnv = env.get(ConfigKeys.UPSTREAMS_ENV);
        if (isSet(fromEnv)) {
            Origin origin = Origin.env(ConfigKeys.UPSTREAMS_ENV);
            origins.put(ConfigKeys.UPSTREAMS, origin);
            for (String pair : fromEnv.split(",")) {
                if (!pair.isBlank()) {
                    entries.add(fromPair(pair, ConfigKeys.UPSTREAMS_ENV, origin));
                }
            }
        } else if (file.upstreams() != null) {
            origins.put(ConfigKeys.UPSTREAMS, file.origin());
            for (int i = 0; i < file.upstreams().size(); i++) {
                entries.add(fromFile(i, file.upstreams().get(i)));
            }
        }
        Set<String> flagNames = new HashSet<>();
        for (String pair : flags.upstreams()) {
            Entry added = fromPair(pair, "--upstream", Origin.flag("--upstream"));
            String name = added.config().name();
            if (!flagNames.add(name)) {
                throw new ConfigException("--upstream", pair, "a name no other --upstream uses");
            }
            int existing = indexOf(entries, name);
            if (existing >= 0) {
                entries.set(existing, entries.get(existing).withUrl(added.config().url(), Origin.flag("--upstream")));
            } else {
                entries.add(added);
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            String prefix = ConfigKeys.UPSTREAMS + "[" + i + "].";
            entries.get(i).origins().forEach((field, origin) -> origins.put(prefix + field, origin));
        }
        return entries;
    }

    private Entry fromFile(int index, Map<String, RawValue> fields) {
        String prefix = ConfigKeys.UPSTREAMS + "[" + index + "]";
        String name = fieldText(fields, "name");
        RawValue rawUrl = fields.get("url");
        URI url = rawUrl == null ? null : UpstreamConfig.parseUrl(rawUrl.label(), (String) rawUrl.value());
        String apiKeyEnv = fieldText(fields, "api_key_env");
        String apiKey = apiKeyEnv == null ? null : env.get(apiKeyEnv);
        @SuppressWarnings("unchecked")
        List<String> models = fields.containsKey("models") ? (List<String>) fields.get("models").value() : List.of();
        RawValue includeUsage = fields.get("include_usage");
        boolean usage = includeUsage == null ? UpstreamConfig.DEFAULT_INCLUDE_USAGE
                : Values.bool(includeUsage.label(), (String) includeUsage.value());
        UpstreamConfig config;
        try {
            config = new UpstreamConfig(name, url, apiKeyEnv, apiKey, models, usage);
        } catch (ConfigException e) {
            throw e.withKey(prefix + e.key().substring("upstream".length()));
        }
        Map<String, Origin> origins = new LinkedHashMap<>();
        fields.forEach((field, raw) -> origins.put(field, raw.origin()));
        return new Entry(config, prefix + ".name", origins);
    }

    private static String fieldText(Map<String, RawValue> fields, String field) {
        RawValue raw = fields.get(field);
        return raw == null ? null : ((String) raw.value()).strip();
    }

    /** {@code name=url} from the environment or a flag; an error shows the pair as the user wrote it. */
    private static Entry fromPair(String pair, String label, Origin origin) {
        String p = pair.strip();
        int eq = p.indexOf('=');
        if (eq <= 0 || eq == p.length() - 1) {
            throw new ConfigException(label, UpstreamConfig.maskCredentials(pair), PAIR_EXPECTED);
        }
        String name = p.substring(0, eq).strip();
        try {
            URI url = UpstreamConfig.parseUrl(label, p.substring(eq + 1));
            Map<String, Origin> origins = new LinkedHashMap<>();
            origins.put("name", origin);
            origins.put("url", origin);
            return new Entry(UpstreamConfig.of(name, url), label, origins);
        } catch (ConfigException e) {
            throw e.withKeyAndValue(label, UpstreamConfig.maskCredentials(p));
        }
    }

    private static int indexOf(List<Entry> entries, String name) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).config().name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    // ---- typed reads: each error names the key as the user wrote it -----------------------------------

    private String text(String key, String fallback) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : (String) raw.value();
    }

    private int integer(String key, int fallback, String expected) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : Values.integer(raw.label(), (String) raw.value(), expected);
    }

    private long size(String key, long fallback) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : Values.size(raw.label(), (String) raw.value());
    }

    private Duration duration(String key, Duration fallback) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : Values.duration(raw.label(), (String) raw.value());
    }

    private boolean bool(String key, boolean fallback) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : Values.bool(raw.label(), (String) raw.value());
    }

    private double number(String key, double fallback, String expected) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : Values.number(raw.label(), (String) raw.value(), expected);
    }

    @SuppressWarnings("unchecked")
    private List<String> list(String key, List<String> fallback) {
        RawValue raw = settings.get(key);
        return raw == null ? fallback : (List<String>) raw.value();
    }

    private static List<String> splitList(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    // ---- re-labelling record errors ------------------------------------------------------------------

    private <T> T build(Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (ConfigException e) {
            throw relabel(e);
        }
    }

    /** As {@link #build}, and a duplicate name is reported where that upstream was configured. */
    private static PipelineConfig buildPipeline(Supplier<PipelineConfig> constructor, List<Entry> entries) {
        try {
            return constructor.get();
        } catch (ConfigException e) {
            Matcher m = UPSTREAM_FIELD.matcher(e.key());
            if (m.matches()) {
                throw e.withKey(entries.get(Integer.parseInt(m.group(1))).nameLabel());
            }
            throw e;
        }
    }

    /** {@code server.port} → the label of whatever set it; {@code auth.api_keys[1]} → that label plus {@code [1]}. */
    private ConfigException relabel(ConfigException e) {
        String key = e.key();
        RawValue raw = settings.get(key);
        if (raw != null) {
            return e.withKey(raw.label());
        }
        int bracket = key.indexOf('[');
        if (bracket > 0 && (raw = settings.get(key.substring(0, bracket))) != null) {
            return e.withKey(raw.label() + key.substring(bracket));
        }
        return e;
    }
}
