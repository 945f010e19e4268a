package org.neuralpipeline.sse;

import java.util.random.RandomGenerator;

/**
 * Reconnection delays: exponential backoff with equal jitter, never shorter than the reconnection time.
 *
 * <p>For attempt {@code n} (1-based, counting consecutive attempts since the last good connection) and
 * reconnection time {@code R} (clamped to {@code [min, max]}): {@code d = min(max, R × 2^(n−1))}, and the
 * delay is uniform in {@code [max(R, d/2), d]}.
 *
 * <p>Why equal jitter and not full jitter ({@code [0, d]}): the server's {@code retry:} is a request to wait
 * that long, and the WHATWG spec lets a client wait longer, never shorter; full jitter would often
 * reconnect almost at once. So the first reconnection waits exactly {@code R}, and from the second on the
 * jitter spreads clients over the upper half of the doubled delay, which still breaks up a crowd of
 * clients that all lost the same server at the same moment.
 *
 * <p>Pure: the random source is passed in, so tests use a seeded one and never sleep.
 */
final class Backoff {
    private final long minMillis;
    private final long maxMillis;

    Backoff(long minMillis, long maxMillis) {
        if (minMillis < 0 || maxMillis < minMillis) {
            throw new IllegalArgumentException("min, max: " + minMillis + ", " + maxMillis
                    + " (expected: 0 <= min <= max)");
        }
        this.minMillis = minMillis;
        this.maxMillis = maxMillis;
    }

    static Backoff of(SseClientOptions options) {
        return new Backoff(options.minReconnectDelay().toMillis(), options.maxReconnectDelay().toMillis());
    }

    /** The delay before reconnection attempt {@code attempt} (1 or more), in milliseconds. */
    long delayMillis(long reconnectionTimeMillis, int attempt, RandomGenerator random) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: 1 or more)");
        }
        long r = Math.clamp(reconnectionTimeMillis, minMillis, maxMillis);
        long d = exponential(r, attempt - 1);
        long lower = Math.max(r, d / 2);
        return lower == d ? d : lower + random.nextLong(d - lower + 1);
    }

    /** {@code min(max, r × 2^shift)} without overflow, however many attempts there were. */
    private long exponential(long r, int shift) {
        if (r == 0) {
            return 0;
        }
        if (shift >= Long.SIZE - 1 || r > (maxMillis >> shift)) {
            return maxMillis;
        }
        return Math.min(maxMillis, r << shift);
    }
}
