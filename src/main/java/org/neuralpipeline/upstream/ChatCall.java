package org.neuralpipeline.upstream;

import io.netty.buffer.ByteBuf;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseLimitExceededException;
import org.neuralpipeline.sse.SseListener;
import org.neuralpipeline.sse.SseParser;

/**
 * One streaming chat completion against an {@link HttpUpstream}: sends the request, reads the answer through
 * {@link SseParser} and {@link DialectNormalizer}, and calls the sink.
 *
 * <h2>How this works and why</h2>
 *
 * <p>Everything runs on the caller's context (captured at {@link #start}); the client's callbacks arrive
 * there too, so the state below needs no locks. {@link #cancel()} may come from elsewhere: it sets a volatile
 * flag checked before every sink callback and resets the connection on the context.
 *
 * <p>How the answer maps to callbacks (exactly one terminal callback, none after {@link #cancel()}):
 * <table>
 *   <caption>Outcomes</caption>
 *   <tr><th>Upstream</th><th>Sink</th></tr>
 *   <tr><td>connection refused, DNS failure, closed before the response head</td><td>REFUSED</td></tr>
 *   <tr><td>no connection within the connect timeout</td><td>TIMEOUT</td></tr>
 *   <tr><td>non-2xx</td><td>HTTP_STATUS with the status, up to 8 KiB of body, Retry-After</td></tr>
 *   <tr><td>2xx {@code text/event-stream}</td><td>events; then onEnd when every started choice finished,
 *       at {@code [DONE]} or EOF, else TRUNCATED</td></tr>
 *   <tr><td>2xx {@code application/json} (stream ignored)</td><td>the completion as events, then as above</td></tr>
 *   <tr><td>2xx of any other type</td><td>PROTOCOL</td></tr>
 *   <tr><td>malformed data event, oversized line or event</td><td>PROTOCOL</td></tr>
 *   <tr><td>{@code {"error":…}} event, {@code event: error}, legacy {@code error:} line</td>
 *       <td>a Failure event, then STREAM_ERROR</td></tr>
 *   <tr><td>connection lost mid-stream</td><td>PROTOCOL, unless every started choice had already finished
 *       (then onEnd, as for a missing {@code [DONE]})</td></tr>
 * </table>
 * {@code afterFirstEvent} is true when the normaliser delivered any event before the failure. Every failure
 * resets the request if the response is still open, so the server stops generating.
 */
final class ChatCall implements UpstreamCall, SseListener {
    /** A non-streamed JSON answer is read whole, up to this size. */
    static final int JSON_BODY_LIMIT = 16 << 20;

    private enum Mode { WAITING, SSE, JSON, ERROR_BODY }

    private final String upstream;
    private final Context context;
    private final StreamSink sink;
    private final DialectNormalizer normalizer;
    private final SseParser parser;
    private final LegacyErrorLine legacyErrorLine = new LegacyErrorLine();

    private volatile boolean cancelled;
    private boolean terminated;
    private Mode mode = Mode.WAITING;
    private HttpClientRequest request;
    private boolean responseEnded;
    private Buffer json;

    ChatCall(String upstream, Context context, StreamSink sink, int maxEventBytes) {
        this.upstream = upstream;
        this.context = context;
        this.sink = sink;
        this.normalizer = new DialectNormalizer(upstream, new Guard());
        this.parser = new SseParser(this, maxEventBytes, maxEventBytes);
    }

    void start(HttpClient client, RequestOptions options, Buffer body) {
        if (Vertx.currentContext() == context) {
            send(client, options, body);
        } else {
            context.runOnContext(v -> send(client, options, body));
        }
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        if (Vertx.currentContext() == context) {
            resetIfOpen();
        } else {
            context.runOnContext(v -> resetIfOpen());
        }
    }

    private void send(HttpClient client, RequestOptions options, Buffer body) {
        if (cancelled) {
            return;
        }
        client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                fail(HttpUpstream.beforeResponse(upstream, ar.cause()));
                return;
            }
            request = ar.result();
            // failures arrive through the response future; this only keeps a reset from being logged as unhandled
            request.exceptionHandler(t -> {
            });
            if (cancelled) {
                request.reset();
                return;
            }
            request.send(body).onComplete(this::onResponse);
        });
    }

    private void onResponse(AsyncResult<HttpClientResponse> ar) {
        if (cancelled || terminated) {
            return;
        }
        if (ar.failed()) {
            fail(HttpUpstream.beforeResponse(upstream, ar.cause()));
            return;
        }
        HttpClientResponse response = ar.result();
        int status = response.statusCode();
        if (status / 100 != 2) {
            mode = Mode.ERROR_BODY;
            HttpUpstream.readBounded(upstream, response, HttpUpstream.ERROR_BODY_LIMIT, true).onComplete(body -> {
                responseEnded = true; // read to the end, or reset past the limit
                fail(HttpUpstream.httpStatus(upstream, response, body.result()));
            });
            return;
        }
        String type = mediaType(response.getHeader(HttpHeaders.CONTENT_TYPE));
        response.exceptionHandler(this::onConnectionLost);
        response.endHandler(v -> onResponseEnd());
        switch (type) {
            case "text/event-stream" -> {
                mode = Mode.SSE;
                response.handler(this::onSseBytes);
            }
            case "application/json" -> {
                mode = Mode.JSON;
                json = Buffer.buffer();
                response.handler(this::onJsonBytes);
            }
            default -> fail(UpstreamException.of(UpstreamException.Kind.PROTOCOL, "upstream '" + upstream
                    + "' answered HTTP " + status + " with Content-Type '" + type
                    + "' (expected: text/event-stream or application/json)", false));
        }
    }

    private void onSseBytes(Buffer buffer) {
        if (terminated || cancelled) {
            return;
        }
        byte[] bytes;
        int offset;
        int length;
        // Vert.x hands the client heap buffers; read their array in place instead of copying it (getBytes)
        ByteBuf buf = buffer instanceof BufferInternal internal ? internal.unwrap() : null;
        if (buf != null && buf.hasArray()) {
            bytes = buf.array();
            offset = buf.arrayOffset() + buf.readerIndex();
            length = buf.readableBytes();
        } else {
            bytes = buffer.getBytes();
            offset = 0;
            length = bytes.length;
        }
        String legacyError = legacyErrorLine.scan(bytes, offset, length);
        try {
            parser.feed(bytes, offset, length);
        } catch (SseLimitExceededException e) {
            fail(UpstreamException.of(UpstreamException.Kind.PROTOCOL,
                    "upstream '" + upstream + "': " + e.getMessage(), normalizer.delivered(), e));
            return;
        }
        if (legacyError != null && !terminated) {
            // older llama.cpp: `error: {…}` instead of `data: {"error":…}`; handled after the events before it
            after(normalizer.acceptErrorEvent(legacyError));
        }
    }

    @Override
    public void onEvent(SseEvent event) {
        if (terminated || cancelled) {
            return;
        }
        DialectNormalizer.Step step;
        try {
            step = switch (event.type()) {
                case SseEvent.DEFAULT_TYPE -> normalizer.accept(event.data());
                case "error" -> normalizer.acceptErrorEvent(event.data());
                default -> DialectNormalizer.Step.CONTINUE; // no other event types in Chat Completions
            };
        } catch (UpstreamException e) {
            fail(e);
            return;
        }
        after(step);
    }

    private void onJsonBytes(Buffer buffer) {
        if (terminated || cancelled) {
            return;
        }
        if (json.length() + buffer.length() > JSON_BODY_LIMIT) {
            fail(UpstreamException.of(UpstreamException.Kind.PROTOCOL, "upstream '" + upstream
                    + "': JSON answer larger than " + JSON_BODY_LIMIT + " bytes", false));
            return;
        }
        json.appendBuffer(buffer);
    }

    private void onResponseEnd() {
        responseEnded = true;
        if (terminated || cancelled) {
            return;
        }
        if (mode == Mode.SSE) {
            parser.end();
            endOfStream("the stream ended");
        } else if (mode == Mode.JSON) {
            try {
                String text = json.toString(StandardCharsets.UTF_8);
                after(normalizer.acceptCompletion(normalizer.parse(text, "the JSON answer")));
            } catch (UpstreamException e) {
                fail(e);
            }
        }
    }

    private void onConnectionLost(Throwable t) {
        responseEnded = true;
        if (terminated || cancelled) {
            return;
        }
        if (mode == Mode.SSE && normalizer.complete()) {
            normalizer.finish(); // complete but for [DONE]: as lenient as for a clean EOF
            end();
            return;
        }
        fail(UpstreamException.of(UpstreamException.Kind.PROTOCOL, "upstream '" + upstream
                + "': connection lost mid-stream after " + normalizer.dataEvents() + " data events (" + t + ")",
                normalizer.delivered(), t));
    }

    private void after(DialectNormalizer.Step step) {
        switch (step) {
            case CONTINUE -> {
            }
            case DONE -> endOfStream(mode == Mode.JSON ? "the JSON answer ended" : "[DONE] arrived");
            case FAILED -> {
                StreamEvent.Failure f = normalizer.failure();
                fail(UpstreamException.of(UpstreamException.Kind.STREAM_ERROR, "upstream '" + upstream
                        + "' reported an error" + (f.type() == null ? "" : " (" + f.type() + ")") + ": "
                        + DialectNormalizer.bounded(f.message()), normalizer.delivered()));
            }
        }
    }

    private void endOfStream(String how) {
        if (terminated || cancelled) {
            return;
        }
        if (normalizer.complete()) {
            normalizer.finish();
            end();
        } else {
            fail(UpstreamException.of(UpstreamException.Kind.TRUNCATED, "upstream '" + upstream + "': " + how
                    + " with " + normalizer.incompleteReason(), normalizer.delivered()));
        }
    }

    private void end() {
        if (terminated || cancelled) {
            return;
        }
        terminated = true;
        sink.onEnd();
    }

    private void fail(UpstreamException failure) {
        if (terminated || cancelled) {
            return;
        }
        terminated = true;
        resetIfOpen();
        sink.onFailure(failure);
    }

    private void resetIfOpen() {
        if (request != null && !responseEnded) {
            responseEnded = true;
            request.reset();
        }
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** What the normaliser may pass on: nothing once the call ended or was cancelled. */
    private final class Guard implements StreamSink {
        @Override
        public void onStart(StreamStart start) {
            if (!terminated && !cancelled) {
                sink.onStart(start);
            }
        }

        @Override
        public void onEvent(StreamEvent event) {
            if (!terminated && !cancelled) {
                sink.onEvent(event);
            }
        }

        @Override
        public void onEnd() {
            throw new UnsupportedOperationException("the call ends the stream, not the normaliser");
        }

        @Override
        public void onFailure(UpstreamException failure) {
            throw new UnsupportedOperationException("the call ends the stream, not the normaliser");
        }
    }
}
