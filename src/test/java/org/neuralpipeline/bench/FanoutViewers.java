package org.neuralpipeline.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * WebSocket viewers of {@code GET /ws} in the load tool's process (Vert.x's WebSocket client), each counting the
 * messages it receives and recording publish-to-receive latency from the publisher's {@code nanoTime} stamp in
 * the payload: same process, same monotonic clock. Only messages numbered inside the measurement window
 * ({@link #window}) are counted, so warm-up and drain do not blur the result.
 *
 * <p>Each frame is read without a JSON parser: the hub writes {@code {"seq":S,} and then the ingested fields in
 * their order, so {@code "n"} and {@code "t"} are the next two fields. Anything else (a {@code Dropped} notice)
 * takes the slow path.
 *
 * <p>{@link SlowViewer}s are plain sockets that complete the handshake and then never read again: what a
 * stalled browser tab looks like to the server.
 */
final class FanoutViewers implements AutoCloseable {
    private static final byte[] SEQ = "{\"seq\":".getBytes(US_ASCII);
    private static final byte[] N = ",\"n\":".getBytes(US_ASCII);
    private static final byte[] T = ",\"t\":".getBytes(US_ASCII);

    /** One viewer's counts; written on its event loop only, read by the main thread after the drain. */
    static final class Viewer {
        volatile int inWindow;
        volatile long lastN = -1;
        /** Messages skipped (numbers never received), the whole run. */
        volatile long gaps;
        /** Of those, numbered inside the window. */
        volatile long gapsInWindow;
        volatile long droppedNotices;
        volatile long droppedCount;
        volatile long other;
        volatile boolean closed;
        volatile short closeCode;
        WebSocket ws;
    }

    private final WebSocketClient client;
    /** One context per event loop: viewers are spread over them (connecting from the main thread would put every
     *  viewer on one event loop, Vert.x 5 giving a non-Vert.x thread one sticky event loop). */
    private final Context[] contexts;
    private int next;
    private final int port;
    private final List<Viewer> viewers = new ArrayList<>();
    /** Publish-to-receive latency of in-window messages, µs, every viewer. */
    final Histogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(120), 3);
    /** Connect-to-upgraded time of each WebSocket handshake, µs. */
    final Histogram handshakes = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(120), 3);
    final AtomicLong connectFailures = new AtomicLong();
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;

    FanoutViewers(Vertx vertx, int eventLoops, int port, int maxConnections) {
        this.port = port;
        this.contexts = new Context[eventLoops];
        for (int i = 0; i < eventLoops; i++) {
            contexts[i] = ((VertxInternal) vertx).createEventLoopContext();
        }
        this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(maxConnections)
                .setConnectTimeout(30_000)
                .setTcpNoDelay(true));
    }

    /** Counts and times messages numbered {@code start} (inclusive) to {@code end} (exclusive). */
    void window(long start, long end) {
        windowStart = start;
        windowEnd = end;
    }

    List<Viewer> all() {
        return viewers;
    }

    /** Connects {@code count} viewers, {@code burst} handshakes at a time; returns how many failed. */
    long connect(int count, int burst) throws Exception {
        long failedBefore = connectFailures.get();
        for (int done = 0; done < count; done += burst) {
            List<Future<WebSocket>> opening = new ArrayList<>();
            for (int i = done; i < Math.min(count, done + burst); i++) {
                Viewer v = new Viewer();
                opening.add(open(v).onSuccess(ws -> {
                    synchronized (viewers) {
                        viewers.add(v);
                    }
                }));
            }
            Future.join(opening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
        return connectFailures.get() - failedBefore;
    }

    /**
     * {@code cycles} connect-then-close cycles, {@code burst} viewers connected at once and then closed
     * together; each handshake is timed. Returns how many failed.
     */
    long churn(int cycles, int burst) throws Exception {
        long failedBefore = connectFailures.get();
        for (int done = 0; done < cycles; done += burst) {
            List<Future<WebSocket>> opening = new ArrayList<>();
            for (int i = done; i < Math.min(cycles, done + burst); i++) {
                opening.add(open(new Viewer()));
            }
            Future.join(opening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
            List<Future<Void>> closing = new ArrayList<>();
            for (Future<WebSocket> f : opening) {
                if (f.succeeded()) {
                    closing.add(f.result().close());
                }
            }
            Future.join(closing).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
        return connectFailures.get() - failedBefore;
    }

    private Future<WebSocket> open(Viewer v) {
        Promise<WebSocket> opened = Promise.promise();
        contexts[next++ % contexts.length].runOnContext(x -> {
            long started = System.nanoTime();
            client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
                    .onSuccess(ws -> {
                        handshakes.recordValue(Math.min(handshakes.getHighestTrackableValue(),
                                (System.nanoTime() - started) / 1000));
                        v.ws = ws;
                        ws.handler(b -> frame(v, b));
                        ws.closeHandler(y -> {
                            v.closed = true;
                            Short code = ws.closeStatusCode();
                            v.closeCode = code == null ? -1 : code;
                        });
                        ws.exceptionHandler(t -> {
                        });
                    })
                    .onFailure(t -> connectFailures.incrementAndGet())
                    .onComplete(opened);
        });
        return opened.future();
    }

    private void frame(Viewer v, Buffer b) {
        long now = System.nanoTime();
        int length = b.length();
        int i = SEQ.length;
        if (!startsWith(b, 0, SEQ)) {
            slowPath(v, b);
            return;
        }
        while (i < length && b.getByte(i) != ',') {
            i++;
        }
        if (!startsWith(b, i, N)) {
            v.other++;
            return;
        }
        i += N.length;
        long n = 0;
        byte c;
        while ((c = b.getByte(i)) >= '0' && c <= '9') {
            n = n * 10 + c - '0';
            i++;
        }
        if (!startsWith(b, i, T)) {
            v.other++;
            return;
        }
        i += T.length;
        long t = 0;
        while ((c = b.getByte(i)) >= '0' && c <= '9') {
            t = t * 10 + c - '0';
            i++;
        }
        long last = v.lastN;
        if (last >= 0 && n > last + 1) {
            v.gaps += n - last - 1;
            // the part of the gap inside the window: messages of the window this viewer never got
            long missing = Math.min(n, windowEnd) - Math.max(last + 1, windowStart);
            if (missing > 0) {
                v.gapsInWindow += missing;
            }
        }
        v.lastN = n;
        if (n >= windowStart && n < windowEnd) {
            v.inWindow++;
            latency.recordValue(Math.min(latency.getHighestTrackableValue(), Math.max(0, (now - t) / 1000)));
        }
    }

    private static void slowPath(Viewer v, Buffer b) {
        String text = b.toString();
        if (text.contains("\"message_type\":\"Dropped\"")) {
            v.droppedNotices++;
            int at = text.indexOf("\"count\":");
            if (at >= 0) {
                int i = at + 8;
                long count = 0;
                while (i < text.length() && Character.isDigit(text.charAt(i))) {
                    count = count * 10 + text.charAt(i++) - '0';
                }
                v.droppedCount += count;
            }
        } else {
            v.other++;
        }
    }

    private static boolean startsWith(Buffer b, int at, byte[] prefix) {
        if (at + prefix.length > b.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (b.getByte(at + k) != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    /** Closes every viewer and the client. */
    @Override
    public void close() throws Exception {
        List<Future<Void>> closing = new ArrayList<>();
        synchronized (viewers) {
            for (Viewer v : viewers) {
                if (v.ws != null && !v.closed) {
                    closing.add(v.ws.close());
                }
            }
        }
        Future.join(closing).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * A viewer that upgrades to a WebSocket and then never reads: a small receive buffer (set before connecting,
     * so the window is small from the start) fills within seconds, then the server's send buffer, then its queue.
     */
    static final class SlowViewer implements AutoCloseable {
        private final Socket socket = new Socket();

        SlowViewer(int port, int receiveBuffer) throws IOException {
            socket.setReceiveBufferSize(receiveBuffer);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(10_000);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            socket.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n\r\n").getBytes(US_ASCII));
            // read the response head byte by byte, so that not one byte of a frame is taken
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("the server closed the slow viewer's handshake: " + head);
                }
                head.append((char) c);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                throw new IOException("the slow viewer was not upgraded: " + head.toString().lines().findFirst()
                        .orElse(""));
            }
        }

        /** Whether the server has not closed it (a read would block, or there is unread data). */
        boolean open() {
            return !socket.isClosed();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
