package org.neuralpipeline.sse;

import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link SseClient} stream behaves: reconnection, timeouts and parser limits. Every component has
 * a named default; start from {@link #DEFAULT} and change what you need with the {@code with…} methods.
 *
 * <p>Reconnection delay before attempt {@code n} (1 for the first reconnection after a good connection,
 * counting up while attempts keep failing): {@code d = min(maxReconnectDelay, R × 2^(n−1))}, where
 * {@code R} is the reconnection time ({@link #reconnectionTime} until the stream sends {@code retry:}),
 * then equal jitter, never below {@code R}: the delay is uniform in {@code [max(R, d/2), d]} (so the
 * first reconnection waits exactly {@code R}, as the spec asks), and never below {@link
 * #minReconnectDelay}. See {@code docs/SSE-CLIENT.md} for the whole policy.
 *
 * @param reconnectionTime the reconnection time until the stream sets one with {@code retry:}
 *     (the WHATWG spec suggests "a few seconds")
 * @param minReconnectDelay a floor under every delay, so that {@code retry: 0} from a broken server
 *     cannot turn into a reconnection loop that spins as fast as the network allows
 * @param maxReconnectDelay the cap of the exponential backoff
 * @param maxRetries consecutive reconnection attempts allowed before the stream fails; the counter
 *     resets after every successful connection. {@link #RETRIES_BY_METHOD} (the default) means
 *     {@link #UNLIMITED_RETRIES} for GET and 0 for any other method: a POST (an OpenAI-style completion)
 *     must not be replayed blindly, because the model would generate again and the reader would see
 *     duplicated or divergent text
 * @param connectTimeout how long to wait for a connection to the server
 * @param idleTimeout how long the connection may go without receiving a byte (headers or body) before it
 *     is treated as lost (and reconnected if allowed); {@link Duration#ZERO} disables it
 * @param maxLineBytes the parser's limit on one line
 * @param maxEventBytes the parser's limit on one event's data
 */
public record SseClientOptions(
        Duration reconnectionTime,
        Duration minReconnectDelay,
        Duration maxReconnectDelay,
        int maxRetries,
        Duration connectTimeout,
        Duration idleTimeout,
        int maxLineBytes,
        int maxEventBytes) {

    /** The WHATWG spec's "few seconds"; browsers use 3 s (Chromium) to 5 s (Firefox). */
    public static final Duration DEFAULT_RECONNECTION_TIME = Duration.ofSeconds(3);
    public static final Duration DEFAULT_MIN_RECONNECT_DELAY = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(30);
    /** {@link #maxRetries} value: GET retries forever (like a browser's EventSource), other methods never. */
    public static final int RETRIES_BY_METHOD = -1;
    public static final int UNLIMITED_RETRIES = Integer.MAX_VALUE;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Longer than the keep-alive comment interval of common servers (15 to 30 s), short enough to notice a
     * dead connection within minutes. An upstream that may stay silent longer (a model loading, a long
     * prompt on a CPU) needs a longer value.
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    public static final int DEFAULT_MAX_BYTES = SseParser.DEFAULT_MAX_BYTES;

    public static final SseClientOptions DEFAULT = new SseClientOptions(
            DEFAULT_RECONNECTION_TIME,
            DEFAULT_MIN_RECONNECT_DELAY,
            DEFAULT_MAX_RECONNECT_DELAY,
            RETRIES_BY_METHOD,
            DEFAULT_CONNECT_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT,
            DEFAULT_MAX_BYTES,
            DEFAULT_MAX_BYTES);

    public SseClientOptions {
        requireNonNegative("reconnectionTime", reconnectionTime);
        requireNonNegative("minReconnectDelay", minReconnectDelay);
        requireNonNegative("maxReconnectDelay", maxReconnectDelay);
        if (minReconnectDelay.compareTo(maxReconnectDelay) > 0) {
            throw new IllegalArgumentException("minReconnectDelay: " + minReconnectDelay
                    + " (expected: at most maxReconnectDelay, " + maxReconnectDelay + ")");
        }
        if (maxRetries < RETRIES_BY_METHOD) {
            throw new IllegalArgumentException("maxRetries: " + maxRetries
                    + " (expected: 0 or more, or " + RETRIES_BY_METHOD + " for the method's default)");
        }
        requireNonNegative("connectTimeout", connectTimeout);
        if (connectTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: 1 ms or more)");
        }
        requireNonNegative("idleTimeout", idleTimeout);
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: 1 or more)");
        }
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: 1 or more)");
        }
    }

    private static void requireNonNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: zero or more)");
        }
    }

    /** The retry limit in force for a request with this method (resolves {@link #RETRIES_BY_METHOD}). */
    public int maxRetriesFor(HttpMethod method) {
        if (maxRetries != RETRIES_BY_METHOD) {
            return maxRetries;
        }
        return HttpMethod.GET.equals(method) ? UNLIMITED_RETRIES : 0;
    }

    public SseClientOptions withReconnectionTime(Duration value) {
        return new SseClientOptions(value, minReconnectDelay, maxReconnectDelay, maxRetries, connectTimeout,
                idleTimeout, maxLineBytes, maxEventBytes);
    }

    public SseClientOptions withMinReconnectDelay(Duration value) {
        return new SseClientOptions(reconnectionTime, value, maxReconnectDelay, maxRetries, connectTimeout,
                idleTimeout, maxLineBytes, maxEventBytes);
    }

    public SseClientOptions withMaxReconnectDelay(Duration value) {
        return new SseClientOptions(reconnectionTime, minReconnectDelay, value, maxRetries, connectTimeout,
                idleTimeout, maxLineBytes, maxEventBytes);
    }

    public SseClientOptions withMaxRetries(int value) {
        return new SseClientOptions(reconnectionTime, minReconnectDelay, maxReconnectDelay, value, connectTimeout,
                idleTimeout, maxLineBytes, maxEventBytes);
    }

    public SseClientOptions withConnectTimeout(Duration value) {
        return new SseClientOptions(reconnectionTime, minReconnectDelay, maxReconnectDelay, maxRetries, value,
                idleTimeout, maxLineBytes, maxEventBytes);
    }

    public SseClientOptions withIdleTimeout(Duration value) {
        return new SseClientOptions(reconnectionTime, minReconnectDelay, maxReconnectDelay, maxRetries,
                connectTimeout, value, maxLineBytes, maxEventBytes);
    }

    /** Sets both parser limits (line and event), as {@code --max-bytes} does. */
    public SseClientOptions withMaxBytes(int value) {
        return new SseClientOptions(reconnectionTime, minReconnectDelay, maxReconnectDelay, maxRetries,
                connectTimeout, idleTimeout, value, value);
    }
}
