package org.neuralpipeline.upstream;

/** A running upstream call. */
public interface UpstreamCall {
    /** Stops the call (closes the upstream connection, stops generating); no sink callback follows. Idempotent. */
    void cancel();
}
