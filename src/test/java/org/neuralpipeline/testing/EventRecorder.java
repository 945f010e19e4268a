package org.neuralpipeline.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Records what asynchronous callbacks deliver, for a test thread to take in order (after OkHttp's
 * {@code EventSourceRecorder}). Any thread may {@link #record}; the test thread blocks in {@link #next}
 * with a timeout, so a missing callback fails the test instead of hanging it, and no test sleeps.
 * Call {@link #assertExhausted()} at the end (or in {@code @AfterEach}) to prove nothing unexpected came.
 */
public final class EventRecorder<T> {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();

    public void record(T item) {
        queue.add(item);
    }

    /** The next item, waiting up to {@link #DEFAULT_TIMEOUT}. */
    public T next() {
        return next(DEFAULT_TIMEOUT);
    }

    /** The next item, waiting up to {@code timeout}; fails with {@link AssertionError} if none came. */
    public T next(Duration timeout) {
        try {
            T item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new AssertionError("nothing recorded within " + timeout);
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }

    /** The next item, which must be an instance of {@code type}. */
    public <U extends T> U next(Class<U> type) {
        T item = next();
        if (!type.isInstance(item)) {
            throw new AssertionError("expected a " + type.getSimpleName() + " but got: " + item);
        }
        return type.cast(item);
    }

    /** Takes items until one of {@code type} arrives, returning the skipped ones too (last is the match). */
    public <U extends T> List<T> nextUntil(Class<U> type) {
        List<T> seen = new ArrayList<>();
        T item;
        do {
            item = next();
            seen.add(item);
        } while (!type.isInstance(item));
        return seen;
    }

    /** Fails if anything is left (what has been recorded so far; this does not wait). */
    public void assertExhausted() {
        List<T> left = new ArrayList<>();
        queue.drainTo(left);
        if (!left.isEmpty()) {
            throw new AssertionError("unexpected items left: " + left);
        }
    }

    /** Everything recorded and not yet taken, without waiting. */
    public List<T> drain() {
        List<T> left = new ArrayList<>();
        queue.drainTo(left);
        return left;
    }
}
