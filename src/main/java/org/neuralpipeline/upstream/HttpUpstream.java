package org.neuralpipeline.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.OpenAiJson;

/**
 * An OpenAI-compatible model server (LM Studio, Ollama, llama.cpp, vLLM, OpenAI itself) behind the gateway.
 *
 * <p>{@link #streamChat} always asks the server for a stream ({@code "stream": true}; with {@link
 * Settings#requestUsage()} also {@code stream_options.include_usage}) and normalises whatever dialect comes
 * back into canonical events ({@link DialectNormalizer}); see {@link ChatCall} for how a response and each
 * failure map to sink callbacks. {@link #models()} asks {@code GET {base}/models} each time (liveness, and the
 * discovered list when none is configured). {@link #forward} passes other endpoints through as streams.
 *
 * <p>Headers sent upstream: {@code Content-Type}, {@code Accept}, {@code X-Request-ID} (the call's request
 * id), the {@link CallContext#extraHeaders()} and, only when an API key is configured, {@code Authorization:
 * Bearer <key>}, which replaces any Authorization the caller passed. A client's own Authorization never
 * reaches an upstream unless the gateway puts it into {@code extraHeaders} on purpose. Nothing here logs the
 * key or a request body.
 *
 * <p>The {@link HttpClient} is shared and owned by the caller; {@link #close()} does not close it. Deadlines
 * (first token, idle, total) are the gateway's; this class only applies the connect timeout.
 */
public final class HttpUpstream implements Upstream {

    /**
     * How to reach one upstream.
     *
     * @param name used in logs, metrics, messages and {@code /v1/models}
     * @param baseUrl the OpenAI API root, for example {@code http://127.0.0.1:1234/v1}; a trailing slash is dropped
     * @param apiKey sent as {@code Authorization: Bearer}; null or blank for none. Masked in {@link #toString()}
     * @param models the models to announce; empty to discover them with {@code GET {baseUrl}/models}
     * @param requestUsage whether to add {@code stream_options.include_usage: true} upstream (some
     *     OpenAI-compatible servers reject unknown parameters; then set false)
     * @param connectTimeout how long to wait for a connection (including a free pooled one)
     * @param maxEventBytes the largest SSE line or event accepted from the upstream
     */
    public record Settings(String name, String baseUrl, String apiKey, List<String> models, boolean requestUsage,
            Duration connectTimeout, int maxEventBytes) {
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        public static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;

        public Settings {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name: \"\" (expected: a non-blank upstream name)");
            }
            baseUrl = checkBaseUrl(Objects.requireNonNull(baseUrl, "baseUrl"));
            apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
            models = List.copyOf(models);
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: positive)");
            }
            if (maxEventBytes < 1) {
                throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: 1 or more)");
            }
        }

        /** No key, discovered models, usage requested, default timeouts and limits. */
        public Settings(String name, String baseUrl) {
            this(name, baseUrl, null, List.of(), true, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_EVENT_BYTES);
        }

        @Override
        public String toString() {
            return "Settings[name=" + name + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? "none" : "****")
                    + ", models=" + models + ", requestUsage=" + requestUsage + ", connectTimeout=" + connectTimeout
                    + ", maxEventBytes=" + maxEventBytes + "]";
        }

        private static String checkBaseUrl(String url) {
            String expected = " (expected: an http:// or https:// URL such as http://127.0.0.1:1234/v1)";
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("baseUrl: \"" + url + "\"" + expected, e);
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("baseUrl: \"" + url + "\"" + expected);
            }
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
    }

    /** The most of a non-2xx body kept for {@link UpstreamException#upstreamBody()}. */
    static final int ERROR_BODY_LIMIT = 8 * 1024;
    /** The largest {@code /models} answer accepted. */
    static final int MODELS_BODY_LIMIT = 1 << 20;
    /** Model discovery gives up when the server is silent this long. */
    static final Duration DISCOVERY_TIMEOUT = Duration.ofSeconds(10);

    /** Connection-level and framing headers that belong to one hop, never forwarded in either direction. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "host",
            "content-length");

    private final Settings settings;
    private final Vertx vertx;
    private final HttpClient client;

    public HttpUpstream(Settings settings, Vertx vertx, HttpClient client) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public String name() {
        return settings.name();
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink) {
        RequestOptions options = options(HttpMethod.POST, "/chat/completions");
        addCallHeaders(options, context);
        options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
        ChatCall call = new ChatCall(settings.name(), vertx.getOrCreateContext(), sink, settings.maxEventBytes());
        call.start(client, options, Buffer.buffer(chatBody(request)));
        return call;
    }

    /** The client's body with {@code stream: true} and, when configured, {@code stream_options.include_usage}. */
    byte[] chatBody(ChatRequest request) {
        ObjectNode body = request.body().deepCopy();
        body.put("stream", true);
        if (settings.requestUsage()) {
            JsonNode existing = body.get("stream_options");
            ObjectNode streamOptions = existing instanceof ObjectNode o ? o : body.putObject("stream_options");
            streamOptions.put("include_usage", true);
        }
        try {
            return OpenAiJson.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed request body failed to serialise", e);
        }
    }

    /**
     * Asks {@code GET {base}/models} on every call (the pool calls it on each catalogue refresh), so a server
     * that went away, or loaded another model, shows up within one refresh. With configured models the answer
     * only proves the server is there: any HTTP answer counts, only a refused connection or a timeout fails.
     */
    @Override
    public List<String> configuredModels() {
        return settings.models();
    }

    @Override
    public Future<List<String>> models() {
        Future<List<String>> listed = fetchModels(DISCOVERY_TIMEOUT);
        if (settings.models().isEmpty()) {
            return listed;
        }
        return listed.transform(ar -> ar.succeeded() || answered(ar.cause())
                ? Future.succeededFuture(settings.models())
                : Future.failedFuture(ar.cause()));
    }

    private static boolean answered(Throwable failure) {
        return failure instanceof UpstreamException e
                && e.kind() != UpstreamException.Kind.REFUSED && e.kind() != UpstreamException.Kind.TIMEOUT;
    }

    Future<List<String>> fetchModels(Duration timeout) {
        long millis = timeout.toMillis();
        RequestOptions options = options(HttpMethod.GET, "/models")
                .setConnectTimeout(Math.min(millis, settings.connectTimeout().toMillis()))
                .setIdleTimeout(millis)
                .putHeader(HttpHeaders.ACCEPT, "application/json");
        addCallHeaders(options, null);
        Promise<List<String>> promise = Promise.promise();
        exchange(options, null, ar -> {
            if (ar.failed()) {
                promise.fail(ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            readBounded(settings.name(), response, MODELS_BODY_LIMIT, false).onComplete(body -> {
                if (body.failed()) {
                    promise.fail(body.cause());
                } else if (response.statusCode() / 100 != 2) {
                    promise.fail(httpStatus(settings.name(), response, body.result()));
                } else {
                    try {
                        promise.complete(modelIds(settings.name(), body.result()));
                    } catch (UpstreamException e) {
                        promise.fail(e);
                    }
                }
            });
        });
        return promise.future();
    }

    static List<String> modelIds(String upstream, Buffer body) {
        JsonNode root;
        try {
            root = OpenAiJson.MAPPER.readTree(body.getBytes());
        } catch (java.io.IOException e) {
            throw UpstreamException.of(UpstreamException.Kind.PROTOCOL,
                    "upstream '" + upstream + "': /models is not valid JSON", false);
        }
        JsonNode data = root == null ? null : root.get("data");
        if (data == null || !data.isArray()) {
            throw UpstreamException.of(UpstreamException.Kind.PROTOCOL,
                    "upstream '" + upstream + "': /models has no data[] array", false);
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode model : data) {
            JsonNode id = model.get("id");
            if (id != null && id.isTextual() && !id.textValue().isEmpty()) {
                ids.add(id.textValue());
            }
        }
        return List.copyOf(ids);
    }

    /**
     * Passes {@code request.method() {base}{request.path()}} through. Hop-by-hop headers and the client's
     * Authorization are not forwarded (see the class comment for what is). Any HTTP status is returned as is;
     * the future fails only when no response arrived (REFUSED, TIMEOUT) or for a path outside the API root
     * (UNSUPPORTED). The body is paused: the caller pipes it (or resumes it) and must consume or reset it.
     */
    @Override
    public Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context) {
        if (!isPlainPath(request.path())) {
            return Future.failedFuture(UpstreamException.of(UpstreamException.Kind.UNSUPPORTED,
                    "upstream '" + settings.name() + "': cannot forward path '" + request.path() + "'", false));
        }
        RequestOptions options = options(request.method(), request.path());
        if (request.headers() != null) {
            for (Map.Entry<String, String> h : request.headers()) {
                String n = h.getKey().toLowerCase(Locale.ROOT);
                if (!HOP_BY_HOP.contains(n) && !n.equals("authorization")) {
                    options.addHeader(h.getKey(), h.getValue());
                }
            }
        }
        addCallHeaders(options, context);
        Promise<ForwardedResponse> promise = Promise.promise();
        exchange(options, request.body(), ar -> {
            if (ar.failed()) {
                promise.fail(ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            response.pause(); // before the first body chunk: the caller pipes it
            MultiMap headers = MultiMap.caseInsensitiveMultiMap();
            for (Map.Entry<String, String> h : response.headers()) {
                String n = h.getKey().toLowerCase(Locale.ROOT);
                if (!HOP_BY_HOP.contains(n) || n.equals("content-length")) {
                    headers.add(h.getKey(), h.getValue());
                }
            }
            promise.complete(new ForwardedResponse(response.statusCode(), headers, response, () -> {
                if (!response.end().isComplete()) {
                    response.request().reset(); // stops the upstream, which would otherwise keep generating
                }
            }));
        });
        return promise.future();
    }

    /** Nothing to release: the client is shared and owned by the caller. */
    @Override
    public Future<Void> close() {
        return Future.succeededFuture();
    }

    @Override
    public String toString() {
        return "HttpUpstream[" + settings.name() + " " + settings.baseUrl() + "]";
    }

    /**
     * Sends a request from a Vert.x context (the caller's, or a new one off Vert.x threads) and hands over the
     * response in the callback that sees its head, so that handlers or a pause set there come before the first
     * body chunk. Failures before a response arrive mapped ({@link #beforeResponse}).
     */
    private void exchange(RequestOptions options, Buffer body, Handler<AsyncResult<HttpClientResponse>> handler) {
        Context context = vertx.getOrCreateContext();
        Runnable send = () -> client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                handler.handle(Future.failedFuture(beforeResponse(settings.name(), ar.cause())));
                return;
            }
            HttpClientRequest request = ar.result();
            request.exceptionHandler(t -> {
            }); // reported through the response future below
            (body == null ? request.send() : request.send(body)).onComplete(response -> handler.handle(
                    response.succeeded() ? response : Future.failedFuture(beforeResponse(settings.name(), response.cause()))));
        });
        if (Vertx.currentContext() == context) {
            send.run();
        } else {
            context.runOnContext(v -> send.run());
        }
    }

    private RequestOptions options(HttpMethod method, String path) {
        return new RequestOptions()
                .setMethod(method)
                .setAbsoluteURI(settings.baseUrl() + path)
                .setConnectTimeout(settings.connectTimeout().toMillis());
    }

    /** The call's extra headers and request id (when there is a call), then the configured key, which wins. */
    private void addCallHeaders(RequestOptions options, CallContext context) {
        if (context != null) {
            context.extraHeaders().forEach((name, value) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    options.putHeader(name, value);
                }
            });
            options.putHeader("X-Request-ID", context.requestId());
        }
        if (settings.apiKey() != null) {
            options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + settings.apiKey());
        }
    }

    private static boolean isPlainPath(String path) {
        if (path == null || !path.startsWith("/") || path.startsWith("//") || path.contains("..")
                || path.contains("#") || path.contains("\\") || path.contains("://")) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    // ---- failure mapping, shared with ChatCall ----

    /** No response arrived: the connection could not be made, timed out, or closed before the response head. */
    static UpstreamException beforeResponse(String upstream, Throwable t) {
        if (t instanceof UpstreamException u) {
            return u;
        }
        if (t instanceof TimeoutException || t instanceof io.netty.channel.ConnectTimeoutException) {
            return UpstreamException.of(UpstreamException.Kind.TIMEOUT,
                    "upstream '" + upstream + "': timed out (" + t.getMessage() + ")", false, t);
        }
        if (t instanceof HttpClosedException) {
            return UpstreamException.of(UpstreamException.Kind.REFUSED,
                    "upstream '" + upstream + "': closed the connection before answering", false, t);
        }
        return UpstreamException.of(UpstreamException.Kind.REFUSED,
                "upstream '" + upstream + "': cannot connect (" + t + ")", false, t);
    }

    static UpstreamException httpStatus(String upstream, HttpClientResponse response, Buffer body) {
        String text = body.toString(StandardCharsets.UTF_8);
        String detail = errorMessage(text);
        return UpstreamException.httpStatus(response.statusCode(),
                "upstream '" + upstream + "' answered HTTP " + response.statusCode() + (detail == null ? "" : ": " + detail),
                text, retryAfterSeconds(response.getHeader(HttpHeaders.RETRY_AFTER), Instant.now()));
    }

    /** The {@code error.message} (or top-level {@code message}, or string {@code error}) of an error body. */
    static String errorMessage(String body) {
        try {
            JsonNode root = OpenAiJson.MAPPER.readTree(body);
            if (root == null || !root.isObject()) {
                return null;
            }
            JsonNode error = root.get("error");
            JsonNode message = error != null && error.isObject() ? error.get("message")
                    : error != null && error.isTextual() ? error : root.get("message");
            return message != null && message.isTextual() ? DialectNormalizer.bounded(message.textValue()) : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Seconds from a {@code Retry-After} value (delta-seconds or an HTTP date), or -1 when absent or invalid. */
    static long retryAfterSeconds(String value, Instant now) {
        if (value == null) {
            return -1;
        }
        String v = value.trim();
        if (!v.isEmpty() && v.length() <= 10 && v.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(v);
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            long millis = Duration.between(now, at).toMillis();
            return millis <= 0 ? 0 : (millis + 999) / 1000;
        } catch (DateTimeParseException e) {
            return -1;
        }
    }

    /**
     * Reads a response body up to {@code limit} bytes. Past the limit it either keeps the prefix and resets the
     * request ({@code truncate}, for error bodies that only need a prefix) or fails with PROTOCOL.
     */
    static Future<Buffer> readBounded(String upstream, HttpClientResponse response, int limit, boolean truncate) {
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        response.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                if (truncate) {
                    body.appendBuffer(chunk, 0, limit - body.length());
                    promise.tryComplete(body);
                } else {
                    promise.tryFail(UpstreamException.of(UpstreamException.Kind.PROTOCOL,
                            "upstream '" + upstream + "': answer larger than " + limit + " bytes", false));
                }
                // after completing: a reset reports an exception on this response at once
                response.request().reset();
                return;
            }
            body.appendBuffer(chunk);
        });
        response.endHandler(v -> promise.tryComplete(body));
        response.exceptionHandler(t -> {
            if (truncate) {
                promise.tryComplete(body);
            } else {
                promise.tryFail(UpstreamException.of(t instanceof TimeoutException ? UpstreamException.Kind.TIMEOUT
                        : UpstreamException.Kind.PROTOCOL, "upstream '" + upstream
                        + "': connection lost while reading the answer (" + t + ")", false, t));
            }
        });
        return promise.future();
    }
}
