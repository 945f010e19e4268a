package org.neuralpipeline.broadcast;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.observability.Metrics.BroadcastMeters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process publish/subscribe: every message published is numbered, kept in a replay ring and written to every
 * viewer whose filter accepts it, each viewer at its own pace, encoded once when first read.
 *
 * <h2>How this works and why</h2>
 *
 * <p><b>Publishing is O(1) and never blocks.</b> {@link #publish} takes a lock for a few instructions (assign
 * the next sequence number, append to the pending list) and, when no drain is scheduled yet, schedules one on
 * the hub's own event-loop context. Numbering under the lock keeps sequence order equal to queue order, so the
 * replay ring and every viewer see messages in one order. Encoding and fan-out cost the producer (the
 * gateway's relay, ingest) nothing. If the hub thread falls {@value #MAX_PENDING} messages behind, publish
 * drops the message and counts it ({@code hub_overloaded}) rather than grow without bound.
 *
 * <p><b>Fan-out runs on the hub's context</b>, which owns all hub state (ring, viewers, queues) without locks.
 * A drain takes every pending message, wraps each in a {@link Frame} (its JSON made when first needed, see
 * below), adds it to the {@link ReplayRing} and appends it to the queue of each matching viewer (O(1) per
 * viewer). Then each viewer touched gets one batch: up to {@value #MAX_BATCH_MESSAGES} messages or
 * {@value #MAX_BATCH_BYTES} bytes handed to its {@link Subscriber} in one call, which writes them with one flush
 * (one system call) on the connection's own event loop. Messages published while a batch is in flight wait
 * in the queue and go out together in the next batch: the busier the hub, the bigger the batches. And viewers
 * are flushed at most once per {@code broadcast.flush_interval}: a message after a quiet interval goes out at
 * once, messages arriving faster wait for the rest of the interval and share one write per viewer, since the
 * system call, not the bytes, is most of the cost of a delivery.
 *
 * <p><b>A message is encoded only when someone reads it</b>, and then once: when the first viewer's filter
 * accepts it, when a resuming viewer takes it from the ring, or when {@link #recent} lists it. Most of the time
 * nobody watches, and the ring needs the bytes only when it is read, so unread messages (nearly all of them,
 * one per streamed token) cost no JSON at all. All encoding runs on the hub's thread, with its one generator
 * and buffer. A message that cannot be encoded is logged and counted ({@code encode_error}) the first time,
 * and skipped from then on wherever it would have gone; its sequence number is simply never delivered.
 *
 * <p><b>Backpressure is per viewer.</b> Each viewer has at most one batch in flight; the batch's future
 * completes when the socket accepted its last byte. A viewer that stops reading fills its (small, see
 * {@code broadcast.send_buffer}) kernel buffer, its batch stays in flight, and its queue grows. Above
 * {@code backpressure_threshold} messages queued while a batch is in flight (or {@code queue_size} in any case)
 * the policy applies: {@code DROP_OLDEST} drops its oldest token messages
 * (never StreamStarted, StreamEnded or Dropped) and counts them, and once its queue is back to half the
 * threshold it is sent {@code Dropped {count}}; {@code CLOSE} closes it ({@value #CLOSE_SLOW}). Nothing a
 * viewer does delays another: the hub never waits for a socket.
 *
 * <p><b>Resume.</b> A viewer that gives the last sequence number it saw ({@code Last-Event-ID}, {@code ?since=})
 * starts with a cursor into the ring instead of a queue: batches are taken from the ring until the cursor
 * reaches the newest message, then it is live. Live messages that arrive meanwhile are in the ring already, so
 * nothing is missed or repeated. Ids older than the ring give a {@code Dropped} with reason
 * {@code replay_window} first. Sequence numbers start at 1 per process; an id newer than any sent (a viewer of
 * an earlier run of the server) replays the whole ring.
 *
 * <p><b>Heartbeat.</b> Every {@code broadcast.heartbeat} each viewer without a batch in flight is pinged, and a
 * viewer without a sign of life for {@code broadcast.stale_timeout} is closed ({@value #CLOSE_STALE}). A sign of
 * life is a frame from the viewer for transports whose clients answer pings (WebSocket), otherwise the socket
 * accepting a write (SSE). Time comes from the injected clock, so tests move it instead of sleeping.
 */
public final class BroadcastHub implements Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(BroadcastHub.class);

    /** Message types a slow viewer never loses (a policy of CLOSE closes it instead). */
    public static final Set<String> LIFECYCLE_TYPES = Set.of("StreamStarted", "StreamEnded", "Dropped");
    /** WebSocket close code for a viewer closed as too slow: policy violation. */
    public static final int CLOSE_SLOW = 1008;
    /** WebSocket close code for a viewer that showed no sign of life within the stale timeout. */
    public static final int CLOSE_STALE = 4001;
    /** WebSocket close code when the server shuts down: going away. */
    public static final int CLOSE_SHUTDOWN = 1001;

    static final int MAX_BATCH_MESSAGES = 1024;
    static final int MAX_BATCH_BYTES = 256 * 1024;
    static final int MAX_PENDING = 100_000;

    private record Pending(long seq, BroadcastMessage message, long nanos) {
    }

    private final Vertx vertx;
    private final Context context;
    private final BroadcastConfig config;
    private final BroadcastMeters meters;
    private final InstantSource clock;
    private final LongSupplier nanoTime;
    private final JsonFactory json = new ObjectMapper().getFactory(); // with a codec, for messages holding trees
    private final ByteArrayBuilder out = new ByteArrayBuilder(1024);
    private final Frame.Encoder encoder = this::encode;

    private final Object lock = new Object();
    private ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long nextSeq = 1;
    private boolean drainScheduled;
    private boolean closed;

    private final AtomicInteger admitted = new AtomicInteger();

    // confined to the hub's context
    private final ReplayRing ring;
    private final Set<Viewer> viewers = new LinkedHashSet<>();
    /** {@link #viewers} as an array for fan-out, rebuilt after a change: a close during fan-out is safe. */
    private Viewer[] fanOut = new Viewer[0];
    private boolean fanOutStale;
    private final List<Viewer> dirty = new ArrayList<>();
    /** Messages added to viewers' queues in this drain, given to the gauge once at its end. */
    private long offered;
    /** {@code broadcast.flush_interval} in nanoseconds, when the last flush of the dirty viewers ran, its timer. */
    private final long flushInterval;
    private long lastFlush;
    private long flushTimer = -1;
    private long heartbeatTimer = -1;

    /**
     * @param clock   wall time, for the {@code timestamp} of the hub's own messages
     * @param nanoTime monotonic time, for heartbeats, staleness and delivery latency
     */
    public BroadcastHub(Vertx vertx, BroadcastConfig config, BroadcastMeters meters, InstantSource clock,
            LongSupplier nanoTime) {
        // a context of its own, whatever thread builds the hub
        this(vertx, ((VertxInternal) vertx).createEventLoopContext(), config, meters, clock, nanoTime);
    }

    /**
     * A hub whose fan-out runs on {@code context}. The service gives it the event loop its HTTP server listens
     * on, so that the gateway's relay, ingest, the hub and every viewer's socket share one thread: a token
     * published, encoded and written to a thousand viewers crosses no thread and wakes no other loop
     * (docs/CONCURRENCY.md).
     */
    public BroadcastHub(Vertx vertx, Context context, BroadcastConfig config, BroadcastMeters meters,
            InstantSource clock, LongSupplier nanoTime) {
        this.context = Objects.requireNonNull(context, "context");
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.config = Objects.requireNonNull(config, "config");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.ring = new ReplayRing(config.replaySize());
        this.flushInterval = config.flushInterval().toNanos();
        this.lastFlush = nanoTime.getAsLong() - flushInterval;
    }

    /** Starts the heartbeat timer. */
    public BroadcastHub start() {
        long every = config.heartbeat().toMillis();
        context.runOnContext(v -> heartbeatTimer = vertx.setPeriodic(every, every, id -> heartbeat()));
        return this;
    }

    public BroadcastConfig config() {
        return config;
    }

    BroadcastMeters meters() {
        return meters;
    }

    long now() {
        return nanoTime.getAsLong();
    }

    // ---- producers (any thread) ------------------------------------------------------------------------

    @Override
    public long publish(BroadcastMessage message) {
        long now = nanoTime.getAsLong();
        long seq;
        boolean schedule = false;
        synchronized (lock) {
            if (closed || pending.size() >= MAX_PENDING) {
                seq = -1;
            } else {
                seq = nextSeq++;
                pending.add(new Pending(seq, message, now));
                schedule = !drainScheduled;
                drainScheduled = true;
            }
        }
        if (seq < 0) {
            meters.dropped("hub_overloaded", 1);
        } else if (schedule) {
            context.runOnContext(v -> drain());
        }
        return seq;
    }

    // ---- viewers (any thread) --------------------------------------------------------------------------

    /**
     * Reserves a place for a viewer, to be used by {@link #subscribe} or given back with {@link #release}.
     * False (and counted) when {@code broadcast.max_viewers} are connected: refuse the viewer.
     */
    public boolean reserve() {
        while (true) {
            int n = admitted.get();
            if (n >= config.maxViewers()) {
                meters.viewerRefused();
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place reserved for a viewer that never subscribed (its handshake failed). */
    public void release() {
        admitted.decrementAndGet();
    }

    /** Viewers connected or reserved. */
    public int viewers() {
        return admitted.get();
    }

    /**
     * Adds a viewer, in a place {@link #reserve} gave. Messages follow on the hub's thread.
     *
     * @param since the last sequence number the viewer saw: it gets every later message still in the replay
     *     ring first; -1 for live messages only
     */
    public Subscription subscribe(Subscriber subscriber, ViewerFilter filter, long since) {
        Viewer v = new Viewer(this, subscriber, filter, nanoTime.getAsLong());
        meters.viewerOpened(v.transport);
        context.runOnContext(x -> {
            if (v.closed) {
                return; // cancelled before it got here
            }
            if (isClosed()) {
                close(v, "shutdown", CLOSE_SHUTDOWN, "the server is shutting down");
                return;
            }
            viewers.add(v);
            fanOutStale = true;
            if (since >= 0) {
                long latest = ring.latest();
                v.cursor = since > latest ? Math.max(1, ring.oldest()) : since + 1;
                if (v.cursor > latest) {
                    v.cursor = 0;
                }
            }
            flush(v);
        });
        return v;
    }

    void cancel(Viewer v) {
        context.runOnContext(x -> close(v, "client", 0, null));
    }

    /** Up to {@code limit} of the newest messages in the replay ring that the filter accepts, oldest first. */
    public Future<List<Frame>> recent(int limit, ViewerFilter filter) {
        return onHub(() -> ring.newest(limit, f -> filter.matches(f) && f.encode(encoder)));
    }

    /** Closes every viewer ({@value #CLOSE_SHUTDOWN}) and stops the heartbeat; later publishes are dropped. */
    public Future<Void> close() {
        synchronized (lock) {
            closed = true;
        }
        return onHub(() -> {
            if (heartbeatTimer >= 0) {
                vertx.cancelTimer(heartbeatTimer);
                heartbeatTimer = -1;
            }
            if (flushTimer >= 0) {
                vertx.cancelTimer(flushTimer);
                flushTimer = -1;
            }
            for (Viewer v : List.copyOf(viewers)) {
                close(v, "shutdown", CLOSE_SHUTDOWN, "the server is shutting down");
            }
            return null;
        });
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Runs {@code task} on the hub's thread (package-private for tests, which may then read hub state). */
    <T> Future<T> onHub(Supplier<T> task) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                promise.complete(task.get());
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }

    /** Each viewer's queue length, on the hub's thread (tests: the bound holds). */
    Future<List<Integer>> queueDepths() {
        return onHub(() -> viewers.stream().map(v -> v.queue.size()).toList());
    }

    // ---- the hub's thread ------------------------------------------------------------------------------

    private void drain() {
        ArrayDeque<Pending> batch;
        synchronized (lock) {
            batch = pending;
            pending = new ArrayDeque<>();
            drainScheduled = false;
        }
        if (fanOutStale) {
            fanOut = viewers.toArray(new Viewer[0]);
            fanOutStale = false;
        }
        for (Pending p : batch) {
            Frame frame = new Frame(p.seq(), p.message(), p.nanos());
            ring.add(frame);
            meters.published(frame.type());
            for (Viewer v : fanOut) {
                if (v.cursor == 0 && !v.closed && v.filter.matches(frame)) {
                    if (!frame.encode(encoder)) {
                        break; // cannot be encoded: no viewer gets it
                    }
                    offer(v, frame);
                }
            }
        }
        meters.queued(offered);
        offered = 0;
        if (dirty.isEmpty() || flushTimer >= 0) {
            return; // nothing new, or a flush is already due: these messages go with it
        }
        long now = nanoTime.getAsLong();
        long wait = lastFlush + flushInterval - now;
        if (flushInterval == 0 || wait <= 0) {
            flushDirty(now);
        } else {
            flushTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999)), id -> {
                flushTimer = -1;
                flushDirty(nanoTime.getAsLong());
            });
        }
    }

    /** Writes to every viewer that got messages since the last flush (see {@code broadcast.flush_interval}). */
    private void flushDirty(long now) {
        lastFlush = now;
        for (Viewer v : dirty) {
            v.dirty = false;
            flush(v);
        }
        dirty.clear();
    }

    /** The message's JSON, or null (logged and counted) when it cannot be encoded; see {@link Frame#encode}. */
    private byte[] encode(long seq, BroadcastMessage message) {
        out.reset();
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            if (seq > 0) {
                g.writeNumberField("seq", seq);
            }
            message.writeFields(g);
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot encode a {} message; dropped: {}", message.type(), e.toString());
            meters.dropped("encode_error", 1);
            return null;
        }
        return out.toByteArray();
    }

    private void offer(Viewer v, Frame frame) {
        v.queue.add(frame);
        offered++;
        // a viewer with nothing in flight takes its whole queue at the end of this drain: a burst is not a backlog
        if (v.queue.size() > config.backpressureThreshold() && (v.inFlight || v.queue.size() > config.queueSize())) {
            if (config.slowViewerPolicy() == BroadcastConfig.SlowViewerPolicy.CLOSE) {
                close(v, "slow", CLOSE_SLOW, "too slow: more than " + config.backpressureThreshold()
                        + " messages queued");
                return;
            }
            if (!dropOldestTokenMessage(v) && v.queue.size() > config.queueSize()) {
                close(v, "slow", CLOSE_SLOW, "too slow: " + config.queueSize() + " lifecycle messages queued");
                return;
            }
        }
        if (!v.dirty) {
            v.dirty = true;
            dirty.add(v);
        }
    }

    private boolean dropOldestTokenMessage(Viewer v) {
        for (Iterator<Frame> it = v.queue.iterator(); it.hasNext(); ) {
            if (!it.next().lifecycle()) {
                it.remove();
                v.dropped++;
                meters.queued(-1);
                meters.dropped("slow_viewer", 1);
                return true;
            }
        }
        return false;
    }

    private void flush(Viewer v) {
        if (v.closed || v.inFlight) {
            return;
        }
        int depth = v.queue.size();
        List<Frame> batch = new ArrayList<>();
        if (v.cursor != 0) {
            replay(v, batch);
        } else {
            if (v.dropped > 0 && v.queue.size() <= config.backpressureThreshold() / 2) {
                batch.add(dropped(v.dropped, "slow_viewer"));
                v.dropped = 0;
            }
            int bytes = 0;
            while (!v.queue.isEmpty() && batch.size() < MAX_BATCH_MESSAGES && bytes < MAX_BATCH_BYTES) {
                Frame f = v.queue.poll();
                batch.add(f);
                bytes += f.json().length;
            }
            meters.queued(-(depth - v.queue.size()));
        }
        if (batch.isEmpty()) {
            return;
        }
        meters.queueDepth(depth);
        v.inFlight = true;
        Future<Void> written;
        try {
            written = v.subscriber.write(batch);
        } catch (RuntimeException e) {
            written = Future.failedFuture(e);
        }
        written.onComplete(ar -> context.runOnContext(x -> written(v, batch, ar.succeeded())));
    }

    /** Takes the viewer's next batch from the ring; a gap first when the ring no longer has its cursor. */
    private void replay(Viewer v, List<Frame> batch) {
        if (v.cursor < ring.oldest()) {
            long gap = ring.oldest() - v.cursor;
            batch.add(dropped(gap, "replay_window"));
            meters.dropped("replay_window", gap);
            v.cursor = ring.oldest();
        }
        int bytes = 0;
        long latest = ring.latest();
        while (v.cursor <= latest && batch.size() < MAX_BATCH_MESSAGES && bytes < MAX_BATCH_BYTES) {
            Frame f = ring.get(v.cursor++);
            if (f != null && v.filter.matches(f) && f.encode(encoder)) {
                batch.add(f);
                bytes += f.json().length;
            }
        }
        if (v.cursor > latest) {
            v.cursor = 0; // caught up: later messages come through its queue
        }
    }

    private void written(Viewer v, List<Frame> batch, boolean ok) {
        v.inFlight = false;
        if (v.closed) {
            return;
        }
        if (!ok) {
            close(v, "client", 0, null);
            return;
        }
        long now = nanoTime.getAsLong();
        v.lastWritten = now;
        long[] latencies = new long[batch.size()];
        for (int i = 0; i < latencies.length; i++) {
            latencies[i] = now - batch.get(i).publishedNanos();
        }
        meters.delivered(v.transport, latencies, latencies.length);
        flush(v);
    }

    /** A {@code Dropped} for one viewer, encoded now: it goes straight into a batch. */
    private Frame dropped(long count, String reason) {
        Frame frame = new Frame(0, new Dropped(epochSeconds(clock), count, reason), nanoTime.getAsLong());
        frame.encode(encoder); // a record of a string and numbers: it does not fail, and if it did, json() says so
        return frame;
    }

    static double epochSeconds(InstantSource clock) {
        java.time.Instant now = clock.instant();
        return now.getEpochSecond() + now.getNano() / 1e9;
    }

    private void close(Viewer v, String reason, int code, String text) {
        if (v.closed) {
            return;
        }
        v.closed = true;
        viewers.remove(v);
        fanOutStale = true;
        int queued = v.queue.size();
        if (queued > 0) {
            meters.queued(-queued);
            if (!reason.equals("client") && !reason.equals("shutdown")) {
                meters.dropped("viewer_closed", queued);
            }
            v.queue.clear();
        }
        admitted.decrementAndGet();
        meters.viewerClosed(v.transport, reason);
        if (code != 0) {
            try {
                v.subscriber.close(code, text);
            } catch (RuntimeException e) {
                LOG.debug("closing a viewer failed: {}", e.toString());
            }
        }
    }

    /** Pings viewers and closes stale ones; run by the timer, and by tests after moving the clock. */
    void heartbeat() {
        long now = nanoTime.getAsLong();
        long stale = config.staleTimeout().toNanos();
        for (Viewer v : List.copyOf(viewers)) {
            long last = v.subscriber.answersPings() ? v.lastHeard : v.lastWritten;
            if (now - last > stale) {
                close(v, "stale", CLOSE_STALE, "stale: no sign of life for " + config.staleTimeout().toSeconds()
                        + " s");
            } else if (!v.inFlight) {
                Future<Void> pinged;
                try {
                    pinged = v.subscriber.ping();
                } catch (RuntimeException e) {
                    pinged = Future.failedFuture(e);
                }
                pinged.onSuccess(x -> context.runOnContext(y -> v.lastWritten = nanoTime.getAsLong()));
            }
        }
    }

    /** {@code Dropped}: messages this viewer did not get. */
    private record Dropped(double timestamp, long count, String reason) implements BroadcastMessage {
        @Override
        public String type() {
            return "Dropped";
        }

        @Override
        public String requestId() {
            return null;
        }

        @Override
        public String model() {
            return null;
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            g.writeStringField("message_type", "Dropped");
            g.writeNumberField("timestamp", timestamp);
            g.writeNumberField("count", count);
            g.writeStringField("reason", reason);
        }
    }
}
