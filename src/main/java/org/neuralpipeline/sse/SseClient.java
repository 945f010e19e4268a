package org.neuralpipeline.sse;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.util.Objects;
import org.neuralpipeline.observability.Metrics.SseClientMeters;

/**
 * An EventSource-style client on the Vert.x HTTP client: connects, feeds the response body into an
 * {@link SseParser}, and reconnects (with {@code Last-Event-ID}) as the WHATWG spec describes, within
 * the limits of {@link SseClientOptions}.
 *
 * <pre>{@code
 * SseClient client = new SseClient(vertx, vertx.createHttpClient(), metrics.sseClient("upstream"));
 * SseSubscription stream = client.connect(
 *         SseRequest.get("http://127.0.0.1:8080/events"), SseClientOptions.DEFAULT, handler);
 * ...
 * stream.cancel();
 * }</pre>
 *
 * <p>Reconnection policy, in short (the full table is in {@code docs/SSE-CLIENT.md}): reconnect after a
 * network error, an idle timeout or the end of the response body; never after HTTP 204 (a normal end), a
 * status other than 2xx, a Content-Type other than {@code text/event-stream}, or a parser limit breach.
 * GET retries without limit by default; any other method (an OpenAI-style POST) does not retry unless
 * {@link SseClientOptions#maxRetries} says so, because replaying a completion generates it again.
 *
 * <p>Threading: {@link #connect} may be called from any thread. Each stream runs on one Vert.x context
 * (the caller's, or a new event-loop context) and calls its {@link SseHandler} there, one call at a time.
 * Nothing blocks.
 *
 * <p>The client does not own the {@link HttpClient}: the caller sizes its connection pool (each open
 * stream holds one HTTP/1.1 connection for its whole life) and closes it.
 */
public final class SseClient {
    private final Vertx vertx;
    private final HttpClient http;
    private final SseClientMeters meters;

    public SseClient(Vertx vertx, HttpClient http, SseClientMeters meters) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.http = Objects.requireNonNull(http, "http");
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** Starts a stream; its outcome arrives at {@code handler.onClosed} and by {@link SseSubscription#closed()}. */
    public SseSubscription connect(SseRequest request, SseClientOptions options, SseHandler handler) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        EventSourceStream stream = new EventSourceStream(
                vertx, vertx.getOrCreateContext(), http, request, options, handler, meters);
        stream.start();
        return stream;
    }
}
