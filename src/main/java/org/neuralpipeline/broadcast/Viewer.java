package org.neuralpipeline.broadcast;

import java.util.ArrayDeque;

/**
 * One viewer's state in the hub. Everything but {@link #lastHeard} is confined to the hub's thread; the
 * connection reaches the hub only through {@link Subscription}.
 */
final class Viewer implements Subscription {
    final BroadcastHub hub;
    final Subscriber subscriber;
    final ViewerFilter filter;
    final String transport;
    final ArrayDeque<Frame> queue = new ArrayDeque<>();
    /** Messages dropped since the last Dropped message was sent to this viewer. */
    long dropped;
    /** While replaying: the next seq to take from the ring; 0 once live. */
    long cursor;
    /** A batch was handed to the subscriber and its future has not completed. */
    boolean inFlight;
    boolean dirty;
    boolean closed;
    /** When the socket last accepted a write (hub thread). */
    long lastWritten;
    /** When the viewer last sent something (connection thread). */
    volatile long lastHeard;

    Viewer(BroadcastHub hub, Subscriber subscriber, ViewerFilter filter, long now) {
        this.hub = hub;
        this.subscriber = subscriber;
        this.filter = filter;
        this.transport = subscriber.transport();
        this.lastWritten = now;
        this.lastHeard = now;
    }

    @Override
    public void touch() {
        lastHeard = hub.now();
    }

    @Override
    public void cancel() {
        hub.cancel(this);
    }
}
