package org.neuralpipeline.broadcast;

/** A viewer's registration with the hub, held by its connection. Both methods may be called from any thread. */
public interface Subscription {

    /** The viewer showed a sign of life (a frame, a pong); resets its stale timer. */
    void touch();

    /** The connection is gone: the hub forgets the viewer and frees its place. Idempotent. */
    void cancel();
}
