package org.neuralpipeline.broadcast;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * A subscriber whose socket the test controls: writes complete at once, or (after {@link #stall()}) stay pending
 * until {@link #release()}, as a viewer that stops reading. Records batches, pings and the close.
 */
final class FakeSubscriber implements Subscriber {
    private final String transport;
    private final boolean answersPings;
    private final List<List<Frame>> batches = new ArrayList<>();
    private final List<Promise<Void>> pending = new ArrayList<>();
    private boolean stalled;
    private int pings;
    private Integer closeCode;
    private String closeReason;

    FakeSubscriber() {
        this("websocket", true);
    }

    FakeSubscriber(String transport, boolean answersPings) {
        this.transport = transport;
        this.answersPings = answersPings;
    }

    @Override
    public String transport() {
        return transport;
    }

    @Override
    public boolean answersPings() {
        return answersPings;
    }

    @Override
    public synchronized Future<Void> write(List<Frame> batch) {
        batches.add(List.copyOf(batch));
        if (!stalled) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        pending.add(p);
        return p.future();
    }

    @Override
    public synchronized Future<Void> ping() {
        pings++;
        return Future.succeededFuture();
    }

    @Override
    public synchronized void close(int code, String reason) {
        closeCode = code;
        closeReason = reason;
    }

    synchronized void stall() {
        stalled = true;
    }

    /** The socket reads again: pending writes complete, later ones complete at once. */
    void release() {
        List<Promise<Void>> done;
        synchronized (this) {
            stalled = false;
            done = List.copyOf(pending);
            pending.clear();
        }
        done.forEach(Promise::complete);
    }

    synchronized List<List<Frame>> batches() {
        return List.copyOf(batches);
    }

    /** Every frame written, as JSON text, in order. */
    synchronized List<String> received() {
        List<String> all = new ArrayList<>();
        for (List<Frame> batch : batches) {
            for (Frame f : batch) {
                all.add(new String(f.json(), UTF_8));
            }
        }
        return all;
    }

    synchronized int pings() {
        return pings;
    }

    synchronized Integer closeCode() {
        return closeCode;
    }

    synchronized String closeReason() {
        return closeReason;
    }
}
