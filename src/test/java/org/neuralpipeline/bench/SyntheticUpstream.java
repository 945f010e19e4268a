package org.neuralpipeline.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible model server that answers instantly and streams on a fixed schedule, so that every
 * millisecond a client sees beyond the schedule is transport, and via the gateway, gateway.
 *
 * <p>The last user message names the stream and its shape: {@code stream=42 tokens=100 delay_ms=10
 * prefill_ms=10}. The answer is a role chunk at once, content chunk 0 after {@code prefill_ms}, then one
 * content chunk every {@code delay_ms} (a Vert.x periodic timer; the event loop never sleeps), a finish
 * chunk, a usage chunk when {@code stream_options.include_usage} asks for it, and {@code [DONE]}. Content
 * chunk {@code i} carries the text {@code "tok<i> "}.
 *
 * <p>The time of each content write ({@link System#nanoTime()} just before {@code write}) is kept per
 * stream and published when the stream ends ({@link #take}). The load client runs in this process, so
 * both ends read the same monotonic clock.
 */
final class SyntheticUpstream implements AutoCloseable {
    static final String MODEL = "bench";
    private static final String CONTENT_PREFIX = "tok";

    /** When the request body had arrived, and when each content chunk was written. */
    record StreamTimes(long arrivedNanos, long[] sentNanos) {
        long firstSentNanos() {
            return sentNanos.length == 0 ? arrivedNanos : sentNanos[0];
        }
    }

    private final Vertx vertx;
    private final HttpServer server;
    private final Map<Long, StreamTimes> finished = new ConcurrentHashMap<>();
    private final AtomicLong chatRequests = new AtomicLong();
    private final AtomicLong modelRequests = new AtomicLong();
    /** The event loop thread, for its CPU time. */
    private volatile Thread loopThread;

    private SyntheticUpstream(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Listens on 127.0.0.1, port 0, with its own Vert.x and {@code eventLoops} event loops. */
    static SyntheticUpstream start(int eventLoops) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                .setHost("127.0.0.1").setPort(0).setAcceptBacklog(8192).setTcpNoDelay(true));
        SyntheticUpstream upstream = new SyntheticUpstream(vertx, server);
        server.requestHandler(upstream::handle).listen().await(10, TimeUnit.SECONDS);
        return upstream;
    }

    int port() {
        return server.actualPort();
    }

    long chatRequests() {
        return chatRequests.get();
    }

    long modelRequests() {
        return modelRequests.get();
    }

    /** The stream's times once it has ended, or null; removes them. */
    StreamTimes take(long streamId) {
        return finished.remove(streamId);
    }

    Thread loopThread() {
        return loopThread;
    }

    private void handle(HttpServerRequest request) {
        if (loopThread == null) {
            loopThread = Thread.currentThread();
        }
        String path = request.path();
        if (request.method() == HttpMethod.GET && path.equals("/v1/models")) {
            modelRequests.incrementAndGet();
            request.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(new JsonObject()
                    .put("object", "list")
                    .put("data", new JsonArray().add(new JsonObject().put("id", MODEL).put("object", "model")
                            .put("created", 0).put("owned_by", "bench")))
                    .encode());
        } else if (request.method() == HttpMethod.POST && path.equals("/v1/chat/completions")) {
            chatRequests.incrementAndGet();
            request.body().onSuccess(body -> chat(request.response(), body, System.nanoTime()));
        } else {
            request.response().setStatusCode(404).end();
        }
    }

    private void chat(HttpServerResponse response, Buffer body, long arrived) {
        Shape shape;
        try {
            JsonObject json = body.toJsonObject();
            if (!json.getBoolean("stream", false)) {
                throw new IllegalArgumentException("stream: false (expected: true, only streaming is simulated)");
            }
            JsonArray messages = json.getJsonArray("messages");
            String spec = messages.getJsonObject(messages.size() - 1).getString("content");
            JsonObject options = json.getJsonObject("stream_options");
            shape = Shape.parse(spec, options != null && options.getBoolean("include_usage", false));
        } catch (RuntimeException e) {
            response.setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject().put("error", new JsonObject().put("message", String.valueOf(e.getMessage()))
                            .put("type", "invalid_request_error")).encode());
            return;
        }
        new Stream(response, shape, arrived).begin();
    }

    /** What the request asked for. */
    private record Shape(long id, int tokens, long delayMs, long prefillMs, boolean usage) {
        static Shape parse(String spec, boolean usage) {
            Map<String, String> fields = new java.util.HashMap<>();
            for (String part : spec.trim().split("\\s+")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    fields.put(part.substring(0, eq), part.substring(eq + 1));
                }
            }
            return new Shape(Long.parseLong(fields.get("stream")), Integer.parseInt(fields.get("tokens")),
                    Long.parseLong(fields.get("delay_ms")), Long.parseLong(fields.getOrDefault("prefill_ms", "1")), usage);
        }
    }

    /** One streamed answer; lives on the request's event loop. */
    private final class Stream {
        private final HttpServerResponse response;
        private final Shape shape;
        private final long arrived;
        private final long[] sent;
        private final String head;
        private long timer = -1;
        private int next;
        private boolean closed;

        Stream(HttpServerResponse response, Shape shape, long arrived) {
            this.response = response;
            this.shape = shape;
            this.arrived = arrived;
            this.sent = new long[shape.tokens()];
            this.head = "data: {\"id\":\"chatcmpl-bench-" + shape.id()
                    + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + MODEL
                    + "\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,\"delta\":{";
        }

        void begin() {
            response.closeHandler(v -> {
                closed = true;
                if (timer >= 0) {
                    vertx.cancelTimer(timer);
                }
            });
            response.setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            response.write(chunk("\"role\":\"assistant\",\"content\":\"\"}", "null"));
            if (shape.tokens() == 0) {
                end();
                return;
            }
            long first = Math.max(1, shape.prefillMs());
            long every = Math.max(1, shape.delayMs());
            timer = vertx.setPeriodic(first, every, id -> tick());
        }

        private void tick() {
            if (closed) {
                return;
            }
            int i = next++;
            Buffer content = chunk("\"content\":\"" + CONTENT_PREFIX + i + " \"}", "null");
            sent[i] = System.nanoTime();
            response.write(content);
            if (next == shape.tokens()) {
                vertx.cancelTimer(timer);
                timer = -1;
                end();
            }
        }

        private void end() {
            response.write(chunk("}", "\"stop\""));
            if (shape.usage()) {
                response.write(Buffer.buffer("data: {\"id\":\"chatcmpl-bench-" + shape.id()
                        + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + MODEL
                        + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":" + shape.tokens()
                        + ",\"total_tokens\":" + (10 + shape.tokens()) + "}}\n\n"));
            }
            response.end(Buffer.buffer("data: [DONE]\n\n"));
            finished.put(shape.id(), new StreamTimes(arrived, sent));
        }

        private Buffer chunk(String delta, String finishReason) {
            return Buffer.buffer((head + delta + ",\"logprobs\":null,\"finish_reason\":" + finishReason + "}]}\n\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(5, TimeUnit.SECONDS); // closes the server and its connections
    }
}
