package org.neuralpipeline.config;

import java.time.Duration;
import java.util.Locale;

/**
 * The broadcast hub: every token of every chat stream, fanned out to viewers (docs/API.md, "Broadcast"), and
 * the ingest of neural events from other processes. {@link #toString()} masks the ingest token.
 *
 * @param queueSize             messages one viewer may have queued (its hard bound)
 * @param backpressureThreshold queued messages above which {@code slowViewerPolicy} applies; at most
 *                              {@code queueSize}
 * @param slowViewerPolicy      what happens to a viewer above the threshold
 * @param maxViewers            viewers connected at once (WebSocket and SSE together); more are refused
 * @param replaySize            messages kept for viewers that reconnect ({@code Last-Event-ID}, {@code ?since=});
 *                              0 keeps none
 * @param heartbeat             interval of pings (WebSocket) and comments (SSE) to every viewer
 * @param staleTimeout          a viewer that shows no sign of life for this long is closed; more than
 *                              {@code heartbeat}
 * @param sendBuffer            SO_SNDBUF of connections the server accepts, in bytes; 0 leaves the OS default.
 *                              Small, so that a viewer that stops reading fills its queue rather than megabytes
 *                              of kernel buffer
 * @param flushInterval         viewers are written at most once per this interval while messages keep coming:
 *                              a message after a quiet interval goes at once, faster ones wait for the rest of
 *                              the interval and go together (one system call per viewer); 0: every message at once
 * @param stateEveryTokens      a NeuralStateUpdate every this many tokens of a stream (and one at its end)
 * @param vocabularySize        token ids derived from the token text are its hash modulo this
 * @param hilbertOrder          order of the Hilbert curve tokens are placed on: a 2^order x 2^order grid
 * @param ingestEnabled         accept neural events over HTTP ({@code POST /v1/neural/events}) and the socket
 * @param ingestToken           a token ingest clients must present; empty: none. A secret
 * @param ingestSocket          path of the Unix domain socket for ingest; empty: no socket
 */
public record BroadcastConfig(int queueSize, int backpressureThreshold, SlowViewerPolicy slowViewerPolicy,
        int maxViewers, int replaySize, Duration heartbeat, Duration staleTimeout, long sendBuffer,
        Duration flushInterval, int stateEveryTokens, int vocabularySize, int hilbertOrder, boolean ingestEnabled,
        String ingestToken, String ingestSocket) {

    /** What the hub does with a viewer that has more than {@code backpressureThreshold} messages queued. */
    public enum SlowViewerPolicy {
        /** Drop its oldest token messages (never lifecycle ones), count them, tell it when it catches up. */
        DROP_OLDEST,
        /** Close it: WebSocket close code 1008 with a reason; an SSE stream simply ends. */
        CLOSE;

        /** The name in the file: {@code drop_oldest}, {@code close}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static SlowViewerPolicy parse(String key, String text) {
            for (SlowViewerPolicy p : values()) {
                if (p.key().equals(text.strip().toLowerCase(Locale.ROOT))) {
                    return p;
                }
            }
            throw new ConfigException(key, text, POLICY_EXPECTED);
        }
    }

    public static final int DEFAULT_QUEUE_SIZE = 1_000;
    public static final int DEFAULT_BACKPRESSURE_THRESHOLD = 100;
    public static final SlowViewerPolicy DEFAULT_SLOW_VIEWER_POLICY = SlowViewerPolicy.DROP_OLDEST;
    public static final int DEFAULT_MAX_VIEWERS = 10_000;
    public static final int DEFAULT_REPLAY_SIZE = 10_000;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_STALE_TIMEOUT = Duration.ofMinutes(5);
    public static final long DEFAULT_SEND_BUFFER = 64 * 1024;
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofMillis(16);
    public static final int DEFAULT_STATE_EVERY_TOKENS = 16;
    public static final int DEFAULT_VOCABULARY_SIZE = 65_536;
    public static final int DEFAULT_HILBERT_ORDER = 8;
    public static final boolean DEFAULT_INGEST_ENABLED = true;
    public static final String DEFAULT_INGEST_TOKEN = "";
    public static final String DEFAULT_INGEST_SOCKET = "";
    public static final BroadcastConfig DEFAULTS = new BroadcastConfig(DEFAULT_QUEUE_SIZE,
            DEFAULT_BACKPRESSURE_THRESHOLD, DEFAULT_SLOW_VIEWER_POLICY, DEFAULT_MAX_VIEWERS, DEFAULT_REPLAY_SIZE,
            DEFAULT_HEARTBEAT, DEFAULT_STALE_TIMEOUT, DEFAULT_SEND_BUFFER, DEFAULT_FLUSH_INTERVAL,
            DEFAULT_STATE_EVERY_TOKENS, DEFAULT_VOCABULARY_SIZE, DEFAULT_HILBERT_ORDER, DEFAULT_INGEST_ENABLED,
            DEFAULT_INGEST_TOKEN, DEFAULT_INGEST_SOCKET);

    static final int MAX_COUNT = 1_000_000;
    static final String COUNT_EXPECTED = "1 to 1000000";
    static final String REPLAY_EXPECTED = "0 to 1000000 (0: no replay)";
    static final String POLICY_EXPECTED = "drop_oldest or close";
    static final String SEND_BUFFER_EXPECTED = "0 (the OS default) or 4KiB to 16MiB";
    static final String FLUSH_INTERVAL_EXPECTED = "0 (write at once) to 1s";
    static final String VOCABULARY_EXPECTED = "1 to 2147483647";
    static final String ORDER_EXPECTED = "1 to 16";
    static final String TOKEN_EXPECTED = "a token without spaces (empty: none)";

    public BroadcastConfig {
        count("broadcast.queue_size", queueSize);
        if (backpressureThreshold < 1 || backpressureThreshold > queueSize) {
            throw new ConfigException("broadcast.backpressure_threshold", backpressureThreshold,
                    "1 to broadcast.queue_size (" + queueSize + ")");
        }
        if (slowViewerPolicy == null) {
            throw new ConfigException("broadcast.slow_viewer_policy", null, POLICY_EXPECTED);
        }
        count("broadcast.max_viewers", maxViewers);
        if (replaySize < 0 || replaySize > MAX_COUNT) {
            throw new ConfigException("broadcast.replay_size", replaySize, REPLAY_EXPECTED);
        }
        if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()) {
            throw new ConfigException("broadcast.heartbeat", heartbeat, TimeoutsConfig.POSITIVE_EXPECTED);
        }
        if (staleTimeout == null || staleTimeout.compareTo(heartbeat) <= 0) {
            throw new ConfigException("broadcast.stale_timeout", staleTimeout,
                    "more than broadcast.heartbeat (" + Values.formatDuration(heartbeat) + ")");
        }
        if (sendBuffer != 0 && (sendBuffer < 4 * 1024 || sendBuffer > 16 * 1024 * 1024)) {
            throw ConfigException.described("broadcast.send_buffer", Values.formatSize(sendBuffer),
                    SEND_BUFFER_EXPECTED);
        }
        if (flushInterval == null || flushInterval.isNegative() || flushInterval.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new ConfigException("broadcast.flush_interval", flushInterval, FLUSH_INTERVAL_EXPECTED);
        }
        count("broadcast.state_every_tokens", stateEveryTokens);
        if (vocabularySize < 1) {
            throw new ConfigException("broadcast.vocabulary_size", vocabularySize, VOCABULARY_EXPECTED);
        }
        if (hilbertOrder < 1 || hilbertOrder > 16) {
            throw new ConfigException("broadcast.hilbert_order", hilbertOrder, ORDER_EXPECTED);
        }
        if (ingestToken == null || ingestToken.chars().anyMatch(Character::isWhitespace)) {
            // never echo a secret, not even a malformed one
            throw new ConfigException("broadcast.ingest_token", ingestToken == null ? null : AuthConfig.MASK,
                    TOKEN_EXPECTED);
        }
        if (ingestSocket == null) {
            throw new ConfigException("broadcast.ingest_socket", null, "a path, or empty for no socket");
        }
        ingestSocket = ingestSocket.strip();
    }

    private static void count(String key, int value) {
        if (value < 1 || value > MAX_COUNT) {
            throw new ConfigException(key, value, COUNT_EXPECTED);
        }
    }

    /** Whether ingest clients must present {@link #ingestToken}. */
    public boolean ingestTokenRequired() {
        return !ingestToken.isEmpty();
    }

    @Override
    public String toString() {
        return "BroadcastConfig[queueSize=" + queueSize + ", backpressureThreshold=" + backpressureThreshold
                + ", slowViewerPolicy=" + slowViewerPolicy + ", maxViewers=" + maxViewers + ", replaySize="
                + replaySize + ", heartbeat=" + heartbeat + ", staleTimeout=" + staleTimeout + ", sendBuffer="
                + sendBuffer + ", flushInterval=" + flushInterval + ", stateEveryTokens=" + stateEveryTokens
                + ", vocabularySize=" + vocabularySize + ", hilbertOrder=" + hilbertOrder + ", ingestEnabled="
                + ingestEnabled + ", ingestToken=" + (ingestToken.isEmpty() ? "none" : "(masked)") + ", ingestSocket="
                + ingestSocket + "]";
    }
}
