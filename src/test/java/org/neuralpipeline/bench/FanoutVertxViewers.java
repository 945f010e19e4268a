package org.neuralpipeline.bench;

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
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The viewers on Vert.x's WebSocket client ({@code --client vertx}): 7-8 µs of CPU per received frame, several
 * times {@link FanoutRawViewers}; kept to cross-check it ({@link FanoutCheck}).
 */
final class FanoutVertxViewers extends FanoutViewers {
    private final WebSocketClient client;
    /** One context per event loop: viewers are spread over them (connecting from the main thread would put every
     *  viewer on one event loop, Vert.x 5 giving a non-Vert.x thread one sticky event loop). */
    private final Context[] contexts;
    private int next;
    private final int port;
    private final Map<Viewer, WebSocket> sockets = new IdentityHashMap<>();
    private final Histogram latency = new ConcurrentHistogram(HIGHEST, 3);
    private final Histogram handshakes = new ConcurrentHistogram(HIGHEST, 3);

    FanoutVertxViewers(Vertx vertx, int eventLoops, int port, int maxConnections) {
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

    @Override
    long connect(int count, int burst) throws Exception {
        long failedBefore = connectFailures.get();
        for (int done = 0; done < count; done += burst) {
            List<Future<WebSocket>> opening = new ArrayList<>();
            for (int i = done; i < Math.min(count, done + burst); i++) {
                Viewer v = new Viewer();
                opening.add(open(v).onSuccess(ws -> {
                    synchronized (viewers) {
                        viewers.add(v);
                        sockets.put(v, ws);
                    }
                }));
            }
            Future.join(opening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
        return connectFailures.get() - failedBefore;
    }

    @Override
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

    @Override
    Histogram latency() {
        return latency.copy();
    }

    @Override
    Histogram handshakes() {
        return handshakes.copy();
    }

    @Override
    void resetHandshakes() {
        handshakes.reset();
    }

    @Override
    String threadPrefix() {
        return "eventloop-";
    }

    private Future<WebSocket> open(Viewer v) {
        Promise<WebSocket> opened = Promise.promise();
        contexts[next++ % contexts.length].runOnContext(x -> {
            long started = System.nanoTime();
            client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
                    .onSuccess(ws -> {
                        handshakes.recordValue(micros(System.nanoTime(), started));
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
            slowPath(v, b.toString());
            return;
        }
        while (i < length && b.getByte(i) != ',') {
            i++;
        }
        if (!startsWith(b, i, N)) {
            slowPath(v, b.toString());
            return;
        }
        i += N.length;
        long n = 0;
        byte c;
        while (i < length && (c = b.getByte(i)) >= '0' && c <= '9') {
            n = n * 10 + c - '0';
            i++;
        }
        if (!startsWith(b, i, T)) {
            v.other++;
            return;
        }
        i += T.length;
        long t = 0;
        while (i < length && (c = b.getByte(i)) >= '0' && c <= '9') {
            t = t * 10 + c - '0';
            i++;
        }
        long last = v.lastN;
        if (last >= 0 && n > last + 1) {
            v.gaps += n - last - 1;
            // the part of the gap inside the window: messages of the window this viewer never got
            v.gapsInWindow += gapInWindow(last, n, windowStart, windowEnd);
        }
        v.lastN = n;
        v.received++;
        if (n >= windowStart && n < windowEnd) {
            v.inWindow++;
            latency.recordValue(micros(now, t));
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

    @Override
    public void close() throws Exception {
        List<Future<Void>> closing = new ArrayList<>();
        synchronized (viewers) {
            for (Viewer v : viewers) {
                if (!v.closed) {
                    closing.add(sockets.get(v).close());
                }
            }
        }
        Future.join(closing).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
