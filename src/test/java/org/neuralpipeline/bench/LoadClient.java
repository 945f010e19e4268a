package org.neuralpipeline.bench;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseListener;
import org.neuralpipeline.sse.SseParser;

/**
 * Opens N concurrent streaming chat completions against one base URL and records, per stream, when the
 * request was started, when each content chunk arrived, and what went wrong. Streams are parsed with the
 * project's {@link SseParser}; content chunk {@code i} is recognised by its text {@code "tok<i> "} (see
 * {@link SyntheticUpstream}), so the client needs no JSON parsing per chunk.
 *
 * <p>Everything runs on one event loop of the client's own Vert.x; a chunk's receive time is read once
 * per network read, before parsing, so the parser's own cost is not added to the chunks in that read.
 */
final class LoadClient implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();
    private static final String MARKER = "\"tok";

    /** One stream's outcome. {@code receivedNanos[i]} is 0 for a chunk that never came. */
    static final class StreamResult {
        final long id;
        final int tokens;
        long startNanos;
        long firstContentNanos = -1;
        final long[] receivedNanos;
        int received;
        boolean done;
        String error;
        String overheadHeader;

        StreamResult(long id, int tokens) {
            this.id = id;
            this.tokens = tokens;
            this.receivedNanos = new long[tokens];
        }

        boolean ok() {
            return error == null;
        }

        long ttftNanos() {
            return firstContentNanos - startNanos;
        }
    }

    /** What one round asks for. */
    record Round(int streams, int tokens, long delayMs, long prefillMs, boolean staggered) {
    }

    private final Vertx vertx;
    private final Context context;
    private final HttpClientAgent client;
    private final Thread loopThread;

    LoadClient(int maxConnections) throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        context = vertx.getOrCreateContext();
        client = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setKeepAliveTimeout(120)
                        .setTcpNoDelay(true)
                        .setMaxInitialLineLength(4096),
                new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(-1));
        Promise<Thread> thread = Promise.promise();
        context.runOnContext(v -> thread.complete(Thread.currentThread()));
        loopThread = thread.future().await(10, TimeUnit.SECONDS);
    }

    Thread loopThread() {
        return loopThread;
    }

    /**
     * Runs one round against {@code port} on 127.0.0.1 and completes when every stream has ended or
     * failed, or after {@code limitMillis} (unfinished streams then count as {@code unfinished}).
     */
    List<StreamResult> run(int port, Round round, long limitMillis) throws Exception {
        List<StreamResult> results = new ArrayList<>(round.streams());
        for (int i = 0; i < round.streams(); i++) {
            results.add(new StreamResult(IDS.incrementAndGet(), round.tokens()));
        }
        Promise<Void> all = Promise.promise();
        context.runOnContext(v -> {
            int[] left = {round.streams()};
            Runnable oneDone = () -> {
                if (--left[0] == 0) {
                    all.tryComplete();
                }
            };
            for (int i = 0; i < round.streams(); i++) {
                StreamResult result = results.get(i);
                // staggered: starts spread evenly over one chunk interval, as independent users would be
                long offset = round.staggered() ? (i * round.delayMs()) / round.streams() : 0;
                if (offset == 0) {
                    start(port, round, result, oneDone);
                } else {
                    vertx.setTimer(offset, id -> start(port, round, result, oneDone));
                }
            }
        });
        try {
            all.future().await(limitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // reported per stream below
        }
        Promise<Void> marked = Promise.promise();
        context.runOnContext(v -> {
            for (StreamResult r : results) {
                if (r.error == null && !r.done) {
                    r.error = "unfinished";
                }
            }
            marked.complete();
        });
        marked.future().await(10, TimeUnit.SECONDS);
        return results;
    }

    private void start(int port, Round round, StreamResult result, Runnable oneDone) {
        Buffer body = Buffer.buffer("{\"model\":\"" + SyntheticUpstream.MODEL + "\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"stream=" + result.id + " tokens=" + round.tokens()
                + " delay_ms=" + round.delayMs() + " prefill_ms=" + round.prefillMs() + "\"}]}");
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI("/v1/chat/completions")
                .setConnectTimeout(30_000).setIdleTimeout(30_000)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
        boolean[] finished = {false};
        Runnable finish = () -> {
            if (!finished[0]) {
                finished[0] = true;
                oneDone.run();
            }
        };
        result.startNanos = System.nanoTime();
        client.request(options)
                .compose(request -> request.send(body))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        fail(result, kind(ar.cause()));
                        finish.run();
                    } else {
                        read(ar.result(), result, finish);
                    }
                });
    }

    private static void read(HttpClientResponse response, StreamResult result, Runnable finish) {
        if (response.statusCode() != 200) {
            fail(result, "http_" + response.statusCode());
            response.body().onComplete(ignored -> finish.run());
            return;
        }
        result.overheadHeader = response.getHeader("X-Gateway-Overhead-Ms");
        long[] readAt = {0};
        SseParser parser = new SseParser(new SseListener() {
            @Override
            public void onEvent(SseEvent event) {
                onChunk(result, event.data(), readAt[0]);
            }
        });
        response.handler(buffer -> {
            readAt[0] = System.nanoTime();
            try {
                parser.feed(buffer.getBytes());
            } catch (RuntimeException e) {
                fail(result, "sse_" + e.getClass().getSimpleName());
            }
        });
        response.exceptionHandler(e -> {
            fail(result, kind(e));
            finish.run();
        });
        response.endHandler(v -> {
            parser.end();
            if (!result.done) {
                fail(result, "no_done");
            } else if (result.received != result.tokens) {
                fail(result, "missing_chunks");
            }
            finish.run();
        });
    }

    private static void onChunk(StreamResult result, String data, long at) {
        if (data.equals("[DONE]")) {
            result.done = true;
            return;
        }
        int marker = data.indexOf(MARKER);
        if (marker < 0) {
            if (data.startsWith("{\"error\"")) {
                fail(result, "error_event");
            }
            return; // role, finish or usage chunk
        }
        int seq = 0;
        for (int i = marker + MARKER.length(); i < data.length(); i++) {
            char c = data.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            seq = seq * 10 + (c - '0');
        }
        if (seq >= result.tokens || result.receivedNanos[seq] != 0) {
            fail(result, "unexpected_chunk");
            return;
        }
        if (seq != result.received) {
            fail(result, "out_of_order");
        }
        result.receivedNanos[seq] = at;
        result.received++;
        if (result.firstContentNanos < 0) {
            result.firstContentNanos = at;
        }
    }

    private static void fail(StreamResult result, String kind) {
        if (result.error == null) {
            result.error = kind;
        }
    }

    private static String kind(Throwable e) {
        if (e instanceof ConnectException) {
            return "connect";
        }
        if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
            return "timeout";
        }
        String name = e.getClass().getSimpleName();
        return "io_" + (name.isEmpty() ? "exception" : name);
    }

    /** A GET that returns the status, or -1 when the connection failed. */
    int status(int port, String path) {
        try {
            return client.request(HttpMethod.GET, port, "127.0.0.1", path)
                    .compose(r -> r.send())
                    .compose(r -> r.body().map(b -> r.statusCode()))
                    .await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return -1;
        }
    }

    /** A GET's body, or null. */
    String get(int port, String path) {
        try {
            return client.request(HttpMethod.GET, port, "127.0.0.1", path)
                    .compose(r -> r.send())
                    .compose(HttpClientResponse::body)
                    .map(Buffer::toString)
                    .await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(5, TimeUnit.SECONDS); // closes the client and its pooled connections
    }
}
