package org.neuralpipeline.broadcast;

/** Where producers send messages: the {@link BroadcastHub}, or a recorder in tests. */
@FunctionalInterface
public interface Publisher {
    /** Sent when nothing should be published (a test, or the broadcast switched off). */
    Publisher NONE = message -> -1;

    /**
     * Queues a message for every viewer and returns at once (never blocks, never waits for viewers).
     *
     * @return the message's sequence number (its SSE {@code id} and JSON {@code seq}), or -1 when it was
     *     dropped because the hub is overloaded or closed
     */
    long publish(BroadcastMessage message);
}
