package org.neuralpipeline.sse;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.neuralpipeline.observability.Metrics.SseClientMeters;
import org.neuralpipeline.sse.SseClientException.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link SseClient} stream: the WHATWG EventSource state machine ("connecting", "open", "closed")
 * plus backoff, limits and cancellation.
 *
 * <p>How it works. {@link #connect()} makes one {@link Connection}: it obtains a request, arms the idle
 * watchdog, sends, and on the response decides: 204 ends the stream; another non-2xx status fails it
 * (after reading a short prefix of the body for the message); a wrong Content-Type fails it; otherwise
 * the stream is open, the attempt counter resets, and body buffers go straight into a new parser seeded
 * with the last event ID. When the connection is lost (network error, idle timeout) or the body ends,
 * {@link #reconnectOrEnd} either schedules the next {@code connect()} on a Vert.x timer or ends the
 * stream. {@link #finish} is the only way out, and delivers the one {@code onClosed}.
 *
 * <p>Threading. Everything except {@link #cancel()} and the volatile getters runs on {@code context}
 * (the HTTP client and the timers call back on its event loop, so no locks). {@code cancel()} sets a
 * volatile flag that every callback checks before reaching the handler, then finishes on the context:
 * that is what makes "nothing after cancel but onClosed" hold even when cancel comes from another thread.
 *
 * <p>Each connection has its own parser: the spec drops a half-received event when the connection goes,
 * and only the last event ID and the reconnection time carry over, which this class keeps.
 */
final class EventSourceStream implements SseSubscription, SseListener {
    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);
    static final String EVENT_STREAM = "text/event-stream";
    static final String LAST_EVENT_ID = "Last-Event-ID";
    /** How much of an error response's body goes into the exception message. */
    static final int ERROR_BODY_PREFIX_BYTES = 256;
    private static final int ERROR_BODY_PREFIX_CHARS = 200;

    private final Vertx vertx;
    private final Context context;
    private final HttpClient http;
    private final SseRequest request;
    private final SseClientOptions options;
    private final SseHandler handler;
    private final SseClientMeters meters;
    private final Backoff backoff;
    private final int maxRetries;
    /** For logs: method and URL without query or user info (they may hold credentials). */
    private final String target;
    private final Promise<SseOutcome> closed = Promise.promise();

    private volatile boolean cancelRequested;
    private volatile String lastEventId;
    private volatile long retryMillis = -1;

    // Confined to the context.
    private boolean finished;
    private long reconnectionTimeMillis;
    private int attempt;
    private long reconnectTimer = -1;
    private Connection connection;

    EventSourceStream(Vertx vertx, Context context, HttpClient http, SseRequest request, SseClientOptions options,
            SseHandler handler, SseClientMeters meters) {
        this.vertx = vertx;
        this.context = context;
        this.http = http;
        this.request = request;
        this.options = options;
        this.handler = handler;
        this.meters = meters;
        this.backoff = Backoff.of(options);
        this.maxRetries = options.maxRetriesFor(request.method());
        this.target = request.method() + " " + SseRequest.redactedUri(request.uri());
        this.lastEventId = request.headers().getOrDefault(LAST_EVENT_ID, "");
        this.reconnectionTimeMillis = options.reconnectionTime().toMillis();
    }

    void start() {
        context.runOnContext(v -> connect());
    }

    @Override
    public void cancel() {
        if (cancelRequested) {
            return;
        }
        cancelRequested = true;
        // Always a new task, even from the context itself: the flag already silences the handler, and
        // finishing from inside a parser or HTTP callback would close what that callback is still using.
        context.runOnContext(v -> finish(new SseOutcome.Cancelled()));
    }

    @Override
    public Future<SseOutcome> closed() {
        return closed.future();
    }

    @Override
    public String lastEventId() {
        return lastEventId;
    }

    @Override
    public long retryMillis() {
        return retryMillis;
    }

    /** True while a reconnection timer is pending; for tests. Call on the context. */
    boolean reconnectPending() {
        return reconnectTimer != -1;
    }

    // SseListener: called by the current connection's parser, inside feed().

    @Override
    public void onEvent(SseEvent event) {
        if (finished || cancelRequested) {
            return;
        }
        lastEventId = event.id();
        meters.events().increment();
        deliver(() -> handler.onEvent(event));
    }

    @Override
    public void onRetry(long millis) {
        reconnectionTimeMillis = millis;
        retryMillis = millis;
    }

    @Override
    public void onComment(String text) {
        deliver(() -> handler.onComment(text));
    }

    private void connect() {
        reconnectTimer = -1;
        if (finished) {
            return;
        }
        if (cancelRequested) {
            finish(new SseOutcome.Cancelled());
            return;
        }
        RequestOptions ro = new RequestOptions()
                .setMethod(request.method())
                .setAbsoluteURI(request.uri().toString())
                .setConnectTimeout(options.connectTimeout().toMillis())
                // EventSource follows redirects (it is a fetch); a POST must not be re-sent elsewhere silently
                .setFollowRedirects(HttpMethod.GET.equals(request.method()))
                .putHeader(HttpHeaders.ACCEPT, EVENT_STREAM)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        request.headers().forEach((name, value) -> {
            if (!LAST_EVENT_ID.equalsIgnoreCase(name)) {
                ro.putHeader(name, value);
            }
        });
        String id = lastEventId;
        if (!id.isEmpty()) {
            if (!SseRequest.isHeaderSafe(id)) {
                // Vert.x (rightly) refuses it; sending no ID instead would replay the stream from the start
                fail(Kind.BAD_STREAM, 0, "the stream's last event ID contains a control character and cannot "
                        + "be sent in Last-Event-ID", null);
                return;
            }
            ro.putHeader(LAST_EVENT_ID, headerValue(id));
        }
        Connection c = new Connection();
        connection = c;
        LOG.debug("{}: connecting{}", target, id.isEmpty() ? "" : " (Last-Event-ID set)");
        Future<HttpClientRequest> obtained;
        try {
            obtained = http.request(ro);
        } catch (RuntimeException e) {
            obtained = Future.failedFuture(e);
        }
        obtained.onComplete(ar -> {
            if (ar.succeeded()) {
                c.send(ar.result());
            } else {
                c.lost(ar.cause());
            }
        });
    }

    /**
     * Decides what follows a lost or ended connection. {@code endOfBody}: the server ended the response
     * normally, which is a normal end when reconnection is off, not a failure.
     */
    private void reconnectOrEnd(Throwable cause, boolean endOfBody) {
        if (finished) {
            return;
        }
        if (cancelRequested) {
            finish(new SseOutcome.Cancelled());
            return;
        }
        if (attempt >= maxRetries) {
            if (endOfBody) {
                finish(new SseOutcome.Ended(SseOutcome.Reason.END_OF_STREAM));
            } else {
                String gaveUp = maxRetries == 0 ? "" : " (gave up after " + maxRetries + " reconnection attempts)";
                fail(Kind.NETWORK, 0, "network error: " + describe(cause) + gaveUp, cause);
            }
            return;
        }
        int next = ++attempt;
        long delay = backoff.delayMillis(reconnectionTimeMillis, next, ThreadLocalRandom.current());
        LOG.info("{}: reconnecting in {} ms (attempt {}{}): {}", target, delay, next,
                maxRetries == SseClientOptions.UNLIMITED_RETRIES ? "" : " of " + maxRetries, describe(cause));
        deliver(() -> handler.onReconnecting(next, Duration.ofMillis(delay), cause));
        if (finished || cancelRequested) {
            return;
        }
        reconnectTimer = vertx.setTimer(Math.max(1, delay), timer -> {
            reconnectTimer = -1;
            if (!finished && !cancelRequested) {
                meters.reconnects().increment();
            }
            connect();
        });
    }

    private void fail(Kind kind, int status, String message, Throwable cause) {
        finish(new SseOutcome.Failed(new SseClientException(kind, status, message, cause)));
    }

    /** The only way out: at most once, closes everything, then tells the handler and the future. */
    private void finish(SseOutcome outcome) {
        if (finished) {
            return;
        }
        finished = true;
        SseOutcome result = cancelRequested ? new SseOutcome.Cancelled() : outcome;
        if (reconnectTimer != -1) {
            vertx.cancelTimer(reconnectTimer);
            reconnectTimer = -1;
        }
        if (connection != null) {
            connection.close();
        }
        switch (result) {
            // debug: the owner of the stream gets the failure in onClosed and decides how loud to be
            case SseOutcome.Failed f -> LOG.debug("{}: stream failed: {}", target, f.error().getMessage());
            case SseOutcome.Ended e -> LOG.debug("{}: stream ended ({})", target, e.reason());
            case SseOutcome.Cancelled c -> LOG.debug("{}: stream cancelled", target);
        }
        try {
            handler.onClosed(result);
        } catch (RuntimeException e) {
            LOG.warn("{}: SseHandler.onClosed threw; ignored", target, e);
        }
        closed.complete(result);
    }

    /** Calls the handler unless the stream is over or cancelled; a throwing handler is logged, not fatal. */
    private void deliver(Runnable call) {
        if (finished || cancelRequested) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("{}: SseHandler threw; ignored", target, e);
        }
    }

    /** One HTTP exchange. Callbacks of a connection that is already closed are ignored. */
    private final class Connection {
        private HttpClientRequest httpRequest;
        private int status;
        private SseParser parser;
        /** Set while reading an error body: a lost connection then reports the status, never reconnects. */
        private Runnable reportError;
        private long lastReadNanos;
        private long idleTimer = -1;
        private boolean responseEnded;
        private boolean done;

        void send(HttpClientRequest req) {
            if (done) {
                req.reset();
                return;
            }
            httpRequest = req;
            armIdleTimeout();
            byte[] body = request.bodyBytes();
            Future<HttpClientResponse> response = body.length > 0 ? req.send(Buffer.buffer(body)) : req.send();
            response.onComplete(ar -> {
                if (ar.succeeded()) {
                    onResponse(ar.result());
                } else {
                    lost(ar.cause());
                }
            });
        }

        private void onResponse(HttpClientResponse response) {
            if (done) {
                return;
            }
            lastReadNanos = System.nanoTime();
            status = response.statusCode();
            if (status == 204) {
                responseEnded = true; // a 204 has no body: the connection may go back to the pool
                close();
                finish(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
            } else if (status < 200 || status > 299) {
                readErrorBody(response, status);
            } else if (!isEventStream(response.getHeader(HttpHeaders.CONTENT_TYPE))) {
                response.exceptionHandler(ignored -> { });
                String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
                close();
                fail(Kind.CONTENT_TYPE, status, "HTTP " + status + " with Content-Type "
                        + (type == null ? "missing" : "\"" + type + "\"") + " (expected: " + EVENT_STREAM + ")",
                        null);
            } else {
                open(response);
            }
        }

        private void open(HttpClientResponse response) {
            attempt = 0;
            parser = new SseParser(EventSourceStream.this, options.maxLineBytes(), options.maxEventBytes(),
                    lastEventId);
            LOG.debug("{}: open (HTTP {})", target, status);
            deliver(() -> handler.onOpen(status, response.headers()));
            if (done) {
                return;
            }
            response.handler(this::onChunk);
            response.exceptionHandler(this::lost);
            response.endHandler(v -> onEnd());
        }

        private void onChunk(Buffer buffer) {
            if (done || cancelRequested) {
                return;
            }
            lastReadNanos = System.nanoTime();
            meters.receivedBytes().increment(buffer.length());
            try {
                feed(parser, buffer);
            } catch (SseLimitExceededException e) {
                meters.parseErrors().increment();
                close();
                fail(Kind.BAD_STREAM, status, "stream rejected: " + e.getMessage(), e);
                return;
            }
            lastEventId = parser.lastEventId();
        }

        private void onEnd() {
            responseEnded = true;
            if (done) {
                return;
            }
            parser.end();
            lastEventId = parser.lastEventId();
            close();
            reconnectOrEnd(new EOFException("server ended the stream"), true);
        }

        void lost(Throwable cause) {
            if (done) {
                return;
            }
            if (reportError != null) {
                reportError.run();
                return;
            }
            close();
            reconnectOrEnd(cause, false);
        }

        /** Keeps the first bytes of an error response for the message, then fails the stream. */
        private void readErrorBody(HttpClientResponse response, int status) {
            Buffer prefix = Buffer.buffer(ERROR_BODY_PREFIX_BYTES);
            reportError = () -> {
                if (done) {
                    return;
                }
                boolean truncated = prefix.length() >= ERROR_BODY_PREFIX_BYTES;
                close();
                String text = bodySnippet(prefix, truncated);
                fail(Kind.HTTP_STATUS, status,
                        "HTTP " + status + ": " + (text.isEmpty() ? response.statusMessage() : text), null);
            };
            response.handler(buffer -> {
                lastReadNanos = System.nanoTime();
                int room = ERROR_BODY_PREFIX_BYTES - prefix.length();
                prefix.appendBuffer(buffer, 0, Math.min(room, buffer.length()));
                if (prefix.length() >= ERROR_BODY_PREFIX_BYTES) {
                    reportError.run();
                }
            });
            response.exceptionHandler(this::lost);
            response.endHandler(v -> {
                responseEnded = true;
                reportError.run();
            });
        }

        /**
         * The read-idle watchdog. It does not reset a timer per buffer (that would cost two timer
         * operations per chunk of a fast stream); it checks when it fires and re-arms for the rest.
         */
        private void armIdleTimeout() {
            long timeoutMillis = options.idleTimeout().toMillis();
            if (timeoutMillis == 0) {
                return;
            }
            lastReadNanos = System.nanoTime();
            idleTimer = vertx.setTimer(timeoutMillis, id -> checkIdle(timeoutMillis));
        }

        private void checkIdle(long timeoutMillis) {
            idleTimer = -1;
            if (done) {
                return;
            }
            long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReadNanos);
            if (idleMillis >= timeoutMillis) {
                lost(new TimeoutException("no bytes received for " + timeoutMillis + " ms (idle timeout)"));
            } else {
                idleTimer = vertx.setTimer(timeoutMillis - idleMillis, id -> checkIdle(timeoutMillis));
            }
        }

        void close() {
            if (done) {
                return;
            }
            done = true;
            if (idleTimer != -1) {
                vertx.cancelTimer(idleTimer);
                idleTimer = -1;
            }
            if (httpRequest != null && !responseEnded) {
                // HTTP/1.x: closes the connection, the only way to stop a response in flight
                httpRequest.reset();
            }
            if (connection == this) {
                connection = null;
            }
        }
    }

    /**
     * Feeds a buffer without copying when its bytes are on the heap. {@code BufferInternal} is Vert.x
     * internal API; the fallback copies, so a change there costs speed, not correctness.
     */
    static void feed(SseParser parser, Buffer buffer) {
        if (buffer instanceof BufferInternal internal) {
            ByteBuf bytes = internal.unwrap();
            if (bytes.hasArray()) {
                parser.feed(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
                return;
            }
        }
        parser.feed(buffer.getBytes());
    }

    /** {@code text/event-stream}, any case, parameters allowed ({@code ; charset=utf-8}). */
    static boolean isEventStream(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return type.toLowerCase(Locale.ROOT).equals(EVENT_STREAM);
    }

    /**
     * The spec sends the last event ID UTF-8 encoded. Netty writes header characters as single bytes
     * (ISO-8859-1), so an ID with characters past U+00FF is turned into its UTF-8 bytes first.
     */
    static String headerValue(String id) {
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) > 0x7F) {
                return new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return id;
    }

    /** One line of readable text from the start of an error body, whitespace collapsed. */
    static String bodySnippet(Buffer prefix, boolean truncated) {
        String text = prefix.toString(StandardCharsets.UTF_8);
        if (truncated && text.endsWith("\uFFFD")) {
            text = text.substring(0, text.length() - 1); // a character cut in two at the prefix limit
        }
        String line = text.replaceAll("[\\s\\p{Cntrl}]+", " ").strip();
        if (line.length() > ERROR_BODY_PREFIX_CHARS) {
            return line.substring(0, ERROR_BODY_PREFIX_CHARS) + "…";
        }
        return truncated ? line + "…" : line;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
