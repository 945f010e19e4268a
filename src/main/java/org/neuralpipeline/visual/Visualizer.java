package org.neuralpipeline.visual;

import java.time.InstantSource;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.neuralpipeline.broadcast.Publisher;
import org.neuralpipeline.config.BroadcastConfig;

/**
 * Turns chat streams into broadcast messages: one {@link StreamVisualizer} per upstream attempt. Holds what
 * every stream shares: the token space (ids, Hilbert positions), the publisher, the clocks.
 */
public final class Visualizer {
    final Publisher publisher;
    final TokenSpace space;
    final int stateEveryTokens;
    final InstantSource clock;
    final LongSupplier nanoTime;

    /**
     * @param clock    wall time, for {@code timestamp} (epoch seconds)
     * @param nanoTime monotonic time, for rates and durations
     */
    public Visualizer(Publisher publisher, BroadcastConfig config, InstantSource clock, LongSupplier nanoTime) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.space = new TokenSpace(config.vocabularySize(), config.hilbertOrder());
        this.stateEveryTokens = config.stateEveryTokens();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** A visualiser for one attempt of one chat request against one upstream. */
    public StreamVisualizer stream(String requestId, String model, String upstream) {
        return new StreamVisualizer(this, requestId, model, upstream);
    }

    double timestamp() {
        java.time.Instant now = clock.instant();
        return now.getEpochSecond() + now.getNano() / 1e9;
    }
}
