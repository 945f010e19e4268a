package org.neuralpipeline.upstream;

/** A running upstream call. */
public interface UpstreamCall {
    /** Stops the call (closes the upstream connection, stops generating); no sink callback follows. Idempotent. */
    void cancel();

    /**
     * Stops reading from the upstream until {@link #resume()}: the client cannot take more yet. TCP flow
     * control then slows the model server down instead of the gateway buffering without bound. Call on the
     * call's context. The default does nothing (an upstream that paces itself).
     */
    default void pause() {
    }

    /** Reads from the upstream again after {@link #pause()}. */
    default void resume() {
    }
}
