package org.neuralpipeline.config;

import java.time.Duration;

/**
 * Deadlines of one upstream call, and the keep-alive interval towards the client. Each is separate
 * because each guards against a different failure (docs/CONFIGURATION.md, "timeouts").
 *
 * @param connect    to open the TCP (and TLS) connection to an upstream
 * @param firstToken from sending the request to the first token, which covers prompt processing and a
 *                   model still loading; at most {@code total}
 * @param idle       longest silence between two chunks once the stream has started; at most {@code total}
 * @param total      the whole call, first byte to last
 * @param keepAlive  interval of SSE comment keep-alives sent to the client while it waits
 */
public record TimeoutsConfig(Duration connect, Duration firstToken, Duration idle, Duration total,
        Duration keepAlive) {
    public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_FIRST_TOKEN = Duration.ofSeconds(120);
    public static final Duration DEFAULT_IDLE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TOTAL = Duration.ofSeconds(600);
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(15);
    public static final TimeoutsConfig DEFAULTS = new TimeoutsConfig(DEFAULT_CONNECT, DEFAULT_FIRST_TOKEN,
            DEFAULT_IDLE, DEFAULT_TOTAL, DEFAULT_KEEP_ALIVE);

    static final String POSITIVE_EXPECTED = "more than 0";

    public TimeoutsConfig {
        positive("timeouts.connect", connect);
        positive("timeouts.first_token", firstToken);
        positive("timeouts.idle", idle);
        positive("timeouts.total", total);
        positive("timeouts.keep_alive", keepAlive);
        atMostTotal("timeouts.first_token", firstToken, total);
        atMostTotal("timeouts.idle", idle, total);
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new ConfigException(key, d, POSITIVE_EXPECTED);
        }
    }

    private static void atMostTotal(String key, Duration d, Duration total) {
        if (d.compareTo(total) > 0) {
            throw new ConfigException(key, d, "at most timeouts.total (" + Values.formatDuration(total) + ")");
        }
    }
}
