package org.neuralpipeline.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when the test says so (after Caffeine's {@code FakeTicker}): an
 * {@link InstantSource} for wall time and {@link #nanoTime()} for monotonic time, both advanced together by
 * {@link #advance}. Thread-safe, so code under test may read it on an event loop.
 */
public final class ManualClock implements InstantSource {
    private final AtomicLong nanos = new AtomicLong();
    private final Instant origin;

    public ManualClock() {
        this(Instant.parse("2025-01-01T00:00:00Z"));
    }

    public ManualClock(Instant origin) {
        this.origin = origin;
    }

    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** Monotonic nanoseconds since this clock was made (a stand-in for {@code System.nanoTime}). */
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(nanos.get());
    }
}
