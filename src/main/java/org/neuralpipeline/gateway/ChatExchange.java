package org.neuralpipeline.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import org.neuralpipeline.observability.AccessLog;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.ChunkWriter;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.StreamSink;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamCall;
import org.neuralpipeline.upstream.UpstreamException;

/**
 * One chat completion, from the selected upstreams to the client. Everything runs on the request's event
 * loop, so the state below needs no locks.
 *
 * <p>How it works and why:
 * <ul>
 *   <li><b>Commit point.</b> Nothing of the answer reaches the client until the upstream produced its first
 *       real event (a role alone does not count). Until then a failing upstream is replaced by the next
 *       one serving the model, and if none is left the client gets the real HTTP status. After it, a
 *       failure is one {@code data: {"error":…}} event and the end of the stream: never a fake {@code stop},
 *       and no {@code [DONE]}, so that even a client that ignores error events sees an incomplete stream.</li>
 *   <li><b>Headers early only when needed.</b> A streaming response's headers go out with the first event
 *       or the first keep-alive comment, whichever comes first; a slow prefill is kept alive through
 *       proxies' idle timeouts, a fast failure still gets its true status.</li>
 *   <li><b>Deadlines.</b> First token, idle (between chunks once tokens flow) and total, each its own timer.
 *       A missed first-token deadline before the commit point fails over, like any other early failure.</li>
 *   <li><b>Overhead.</b> The gateway's own time: from arrival to the first upstream call, plus for each
 *       event the time from its delivery by the upstream client to the end of its write, plus the end.</li>
 * </ul>
 */
final class ChatExchange implements StreamSink {
    static final String ROUTE = "/v1/chat/completions";
    private static final Buffer KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));

    private final Vertx vertx;
    private final HttpServerResponse response;
    private final ChatRequest request;
    private final GatewayOptions options;
    private final Iterator<Upstream> candidates;
    private final CallContext callContext;
    private final Metrics.GatewayMeters meters;
    private final String requestId;
    private final String method;
    private final long receivedNanos;

    private Upstream current;
    private UpstreamCall call;
    private Metrics.StreamMeters streamMeters;
    private boolean done;
    private boolean headersSent;
    private boolean answerStarted; // a non-role event reached the client (or the aggregator)
    private ChunkWriter writer;
    private CompletionAggregator aggregator;
    private String completionId;
    private long created;
    private String fingerprint;
    private boolean clientBehind;

    private long overheadNanos;
    private long firstTokenNanos = -1;
    private long lastTokenNanos;
    private long lastWriteNanos;
    private int tokens;
    private String finishReason;

    private long firstTokenTimer = -1;
    private long idleTimer = -1;
    private long idleFromNanos; // the idle deadline is idle() after this: the last token, or the client's drain
    private boolean idleWatched; // tokens flow and the client keeps up
    private long totalTimer = -1;
    private long keepAliveTimer = -1;

    ChatExchange(Vertx vertx, HttpServerResponse response, ChatRequest request, GatewayOptions options,
            List<Upstream> upstreams, CallContext callContext, Metrics.GatewayMeters meters, String method,
            long receivedNanos) {
        this.vertx = vertx;
        this.response = response;
        this.request = request;
        this.options = options;
        this.candidates = upstreams.iterator();
        this.callContext = callContext;
        this.meters = meters;
        this.requestId = callContext.requestId();
        this.method = method;
        this.receivedNanos = receivedNanos;
    }

    void start() {
        totalTimer = vertx.setTimer(options.total().toMillis(), id -> onDeadline(Deadline.TOTAL));
        firstTokenTimer = vertx.setTimer(options.firstToken().toMillis(), id -> onDeadline(Deadline.FIRST_TOKEN));
        if (request.stream()) {
            long every = options.keepAlive().toMillis();
            lastWriteNanos = System.nanoTime();
            keepAliveTimer = vertx.setPeriodic(every, id -> keepAlive(every));
        }
        response.closeHandler(v -> onClientGone());
        overheadNanos += System.nanoTime() - receivedNanos; // parsing, validation, selection
        tryNextUpstream(null);
    }

    private void tryNextUpstream(UpstreamException previousFailure) {
        if (!candidates.hasNext()) {
            failBeforeAnswer(current, previousFailure);
            return;
        }
        current = candidates.next();
        if (!answerStarted) {
            // the id, created and fingerprint of the stream are those of the upstream that answers
            completionId = null;
            created = 0;
            fingerprint = null;
        }
        streamMeters = meters.stream(request.model(), current.name());
        call = current.streamChat(request, callContext, this);
    }

    @Override
    public void onStart(StreamStart start) {
        if (done || completionId != null) {
            return;
        }
        completionId = start.id() != null && !start.id().isBlank() ? start.id() : "chatcmpl-" + requestId;
        created = start.created() > 0 ? start.created() : Instant.now().getEpochSecond();
        fingerprint = start.systemFingerprint();
    }

    @Override
    public void onEvent(StreamEvent event) {
        if (done) {
            return;
        }
        long arrived = System.nanoTime();
        if (event instanceof StreamEvent.Role) {
            return; // the writer emits exactly one role chunk before the first real event
        }
        if (event instanceof StreamEvent.Failure) {
            // onFailure follows with the same error: it alone decides between failover, an HTTP status and
            // the one error event; relaying this too would send the upstream's raw error first, and would
            // commit the answer (no failover, 200) for an upstream that failed before its first token
            return;
        }
        if (!answerStarted) {
            answerStarted = true;
            beginAnswer();
        }
        boolean token = event instanceof StreamEvent.Content || event instanceof StreamEvent.Reasoning
                || event instanceof StreamEvent.ToolCall;
        if (event instanceof StreamEvent.Finish f && (finishReason == null || f.choice() == 0)) {
            finishReason = f.reason();
        }
        if (request.stream()) {
            byte[] bytes = writer.write(event);
            if (bytes.length > 0) {
                ensureHeaders();
                response.write(Buffer.buffer(bytes));
                lastWriteNanos = System.nanoTime();
                if (response.writeQueueFull()) {
                    holdUpstream();
                }
            }
        } else {
            aggregator.add(event);
        }
        long now = System.nanoTime();
        if (token) {
            tokens++;
            streamMeters.tokens().increment();
            if (firstTokenNanos < 0) {
                firstTokenNanos = now - receivedNanos;
                streamMeters.timeToFirstToken().record(firstTokenNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
                cancelTimer(firstTokenTimer);
                firstTokenTimer = -1;
            } else {
                streamMeters.interTokenLatency().record(now - lastTokenNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            lastTokenNanos = now;
            if (!clientBehind) {
                armIdle(now);
            }
        }
        overheadNanos += now - arrived;
    }

    private void beginAnswer() {
        if (completionId == null) {
            onStart(new StreamStart(null, 0, request.model(), null));
        }
        streamMeters.activeStreams().incrementAndGet();
        if (request.stream()) {
            writer = new ChunkWriter(completionId, created, request.model(), fingerprint, request.includeUsage());
        } else {
            aggregator = new CompletionAggregator();
        }
    }

    @Override
    public void onEnd() {
        if (done) {
            return;
        }
        long arrived = System.nanoTime();
        if (!answerStarted) {
            // an upstream that ends cleanly without a single event is as good as a truncated one
            onFailure(UpstreamException.of(UpstreamException.Kind.TRUNCATED, "the stream ended without any output",
                    false));
            return;
        }
        finish();
        if (request.stream()) {
            ensureHeaders();
            response.end(Buffer.buffer(ChunkWriter.DONE));
        } else {
            byte[] body = aggregator.toJson(completionId, created, request.model(), fingerprint);
            response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            putCommonHeaders();
            overheadNanos += System.nanoTime() - arrived;
            response.putHeader(Gateway.OVERHEAD_HEADER, millis(overheadNanos));
            response.end(Buffer.buffer(body));
        }
        overheadNanos += System.nanoTime() - arrived;
        record(200, null);
    }

    @Override
    public void onFailure(UpstreamException failure) {
        if (done) {
            return;
        }
        meters.upstreamError(current.name(), failure.kind().name().toLowerCase(java.util.Locale.ROOT));
        if (!answerStarted && failoverAllowed(failure) && candidates.hasNext()) {
            Gateway.LOG.warn("upstream {} failed before the first token ({}); trying the next one",
                    current.name(), failure.getMessage());
            tryNextUpstream(failure);
            return;
        }
        if (!answerStarted) {
            failBeforeAnswer(current, failure);
            return;
        }
        failAfterAnswer(failure);
    }

    /** A request the upstream rejected as invalid (4xx other than 429) would be rejected by any upstream. */
    private static boolean failoverAllowed(UpstreamException e) {
        return !(e.kind() == UpstreamException.Kind.HTTP_STATUS && e.status() >= 400 && e.status() < 500
                && e.status() != 429) && e.kind() != UpstreamException.Kind.UNSUPPORTED;
    }

    private void failBeforeAnswer(Upstream upstream, UpstreamException failure) {
        ErrorResponses.ApiError error = ErrorResponses.upstream(upstream == null ? "none" : upstream.name(),
                failure == null ? UpstreamException.of(UpstreamException.Kind.REFUSED, "no upstream", false) : failure);
        finish();
        if (headersSent) {
            // keep-alives already committed a 200: the error can only travel as an event
            response.end(Buffer.buffer(errorEvent(error)));
        } else {
            putCommonHeaders();
            response.putHeader(Gateway.OVERHEAD_HEADER, millis(overheadNanos));
            ErrorResponses.send(response, error);
        }
        record(headersSent ? 200 : error.status(), error.code());
    }

    private void failAfterAnswer(UpstreamException failure) {
        ErrorResponses.ApiError error = ErrorResponses.upstream(current.name(), failure);
        finish();
        if (request.stream()) {
            ensureHeaders();
            response.end(Buffer.buffer(errorEvent(error)));
            record(200, error.code());
        } else {
            putCommonHeaders();
            response.putHeader(Gateway.OVERHEAD_HEADER, millis(overheadNanos));
            ErrorResponses.send(response, error);
            record(error.status(), error.code());
        }
    }

    private byte[] errorEvent(ErrorResponses.ApiError error) {
        ChunkWriter w = writer != null ? writer : new ChunkWriter("chatcmpl-" + requestId, 0, request.model(), null,
                false);
        return w.error(error.message(), error.type(), error.code());
    }

    private enum Deadline { FIRST_TOKEN, IDLE, TOTAL }

    private void onDeadline(Deadline which) {
        if (done) {
            return;
        }
        switch (which) {
            case FIRST_TOKEN -> firstTokenTimer = -1;
            case IDLE -> idleTimer = -1;
            case TOTAL -> totalTimer = -1;
        }
        if (call != null) {
            call.cancel();
        }
        String message = switch (which) {
            case FIRST_TOKEN -> "no token within the first-token deadline of " + options.firstToken().toMillis() + " ms";
            case IDLE -> "no chunk within the idle deadline of " + options.idle().toMillis() + " ms";
            case TOTAL -> "the answer did not complete within the total deadline of " + options.total().toMillis() + " ms";
        };
        UpstreamException timeout = UpstreamException.of(UpstreamException.Kind.TIMEOUT, message, answerStarted);
        if (which == Deadline.TOTAL) {
            // the client's whole budget is spent: no other upstream gets a turn
            meters.upstreamError(current.name(), "timeout");
            if (answerStarted) {
                failAfterAnswer(timeout);
            } else {
                failBeforeAnswer(current, timeout);
            }
            return;
        }
        onFailure(timeout);
        if (!done && which == Deadline.FIRST_TOKEN) {
            // failed over: the next upstream gets a fresh first-token deadline
            firstTokenTimer = vertx.setTimer(options.firstToken().toMillis(), id -> onDeadline(Deadline.FIRST_TOKEN));
        }
    }

    /**
     * The client reads slower than the model writes: stop reading the upstream until the client drained,
     * so TCP slows the model server instead of the gateway buffering the difference. The idle deadline is
     * about the upstream's silence, which we now cause, so it waits too.
     */
    private void holdUpstream() {
        if (clientBehind) {
            return;
        }
        clientBehind = true;
        call.pause();
        idleWatched = false;
        cancelTimer(idleTimer);
        idleTimer = -1;
        response.drainHandler(v -> {
            if (done || !clientBehind) {
                return;
            }
            clientBehind = false;
            call.resume();
            armIdle(System.nanoTime());
        });
    }

    /**
     * Restarts the idle window at {@code now}. Called per token, so it only moves a timestamp: cancelling and
     * setting a timer per token would insert into (and remove from) the event loop's timer queue every few
     * milliseconds. The one timer, once armed, checks the timestamp when it fires and re-arms itself for what
     * is left of the window, so the deadline is still {@code idle} after the last token, to the millisecond.
     */
    private void armIdle(long now) {
        idleFromNanos = now;
        idleWatched = true;
        if (idleTimer < 0) {
            idleTimer = vertx.setTimer(options.idle().toMillis(), id -> onIdleTimer());
        }
    }

    private void onIdleTimer() {
        idleTimer = -1;
        if (done || !idleWatched) {
            return;
        }
        long left = options.idle().toNanos() - (System.nanoTime() - idleFromNanos);
        if (left > 0) {
            // a token came since the timer was set: wait out the rest of its window (rounded up, never early)
            idleTimer = vertx.setTimer((left + 999_999) / 1_000_000, id -> onIdleTimer());
        } else {
            onDeadline(Deadline.IDLE);
        }
    }

    private void keepAlive(long everyMillis) {
        if (done) {
            return;
        }
        if (System.nanoTime() - lastWriteNanos >= (everyMillis - 5) * 1_000_000L) {
            ensureHeaders();
            response.write(KEEP_ALIVE);
            lastWriteNanos = System.nanoTime();
        }
    }

    private void ensureHeaders() {
        if (headersSent) {
            return;
        }
        headersSent = true;
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        putCommonHeaders();
        // overhead so far: for a stream the header can only report what happened before the first byte
        response.putHeader(Gateway.OVERHEAD_HEADER, millis(overheadNanos));
    }

    private void putCommonHeaders() {
        if (current != null) {
            response.putHeader(Gateway.UPSTREAM_HEADER, current.name());
        }
    }

    private void onClientGone() {
        if (done) {
            return;
        }
        if (call != null) {
            call.cancel();
        }
        finish();
        record(499, "client_closed_request");
    }

    private void finish() {
        done = true;
        cancelTimer(firstTokenTimer);
        cancelTimer(idleTimer);
        cancelTimer(totalTimer);
        cancelTimer(keepAliveTimer);
        if (answerStarted) {
            streamMeters.activeStreams().decrementAndGet();
        }
    }

    private void cancelTimer(long id) {
        if (id >= 0) {
            vertx.cancelTimer(id);
        }
    }

    private void record(int status, String errorCode) {
        long duration = System.nanoTime() - receivedNanos;
        String upstream = current == null ? "none" : current.name();
        meters.request(ROUTE, status, current == null ? "none" : request.model(), upstream, duration, overheadNanos);
        AccessLog.log(new AccessLog.Entry(requestId, method, ROUTE, status, request.model(), upstream,
                request.stream(), firstTokenNanos, tokens, duration, overheadNanos, finishReason, errorCode));
    }

    static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
