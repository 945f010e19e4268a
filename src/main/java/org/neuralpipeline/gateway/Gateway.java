package org.neuralpipeline.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neuralpipeline.observability.AccessLog;
import org.neuralpipeline.observability.CorrelationId;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.InvalidRequestException;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.ForwardedRequest;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamException;
import org.neuralpipeline.upstream.UpstreamPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible HTTP surface. The request path of a chat completion, in order:
 * <ol>
 *   <li>request id (taken or made, in every log line and sent upstream) — {@code app.Routes};</li>
 *   <li>body limit (413) and client API key (401);</li>
 *   <li>validation into a {@link ChatRequest} (400 naming the field);</li>
 *   <li>upstream selection by model (404 naming the available models);</li>
 *   <li>{@link ChatExchange}: relay with keep-alives and deadlines, failover before the first token,
 *       error event after it, metrics and one access-log line.</li>
 * </ol>
 */
public final class Gateway {
    static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    /** The gateway's own time for this request, in milliseconds (for a stream: up to the first byte). */
    public static final String OVERHEAD_HEADER = "X-Gateway-Overhead-Ms";
    /** Which upstream answered. */
    public static final String UPSTREAM_HEADER = "X-Upstream";
    /** Where the time a {@code /v1} request was received is kept in its routing context ({@code System.nanoTime()}). */
    private static final String RECEIVED = "np.received";
    /** How long an unknown model waits before the catalogue is asked again. */
    private static final Duration REFRESH_ON_MISS_AFTER = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final UpstreamPool pool;
    private final GatewayOptions options;
    private final Metrics.GatewayMeters meters;
    private final List<byte[]> apiKeys;

    public Gateway(Vertx vertx, UpstreamPool pool, GatewayOptions options, Metrics.GatewayMeters meters) {
        this.vertx = vertx;
        this.pool = pool;
        this.options = options;
        this.meters = meters;
        this.apiKeys = options.apiKeys().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Adds the {@code /v1} routes to {@code router}. */
    public void mount(Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(options.maxBodyBytes());
        // The key is checked before the body is read, so a client without one cannot make the gateway take in
        // a body of up to the limit first: Vert.x Web orders handlers by kind and reads bodies before user and
        // authentication handlers, so the check is a platform handler, which may run earlier.
        // The request counts as received once its body is in: the client's upload is not the gateway's time.
        PlatformHandler authenticate = this::authenticate;
        router.post("/v1/chat/completions").handler(authenticate).handler(body).handler(Gateway::arrived)
                .handler(this::chat);
        router.get("/v1/models").handler(authenticate).handler(Gateway::arrived).handler(this::models);
        router.post("/v1/completions").handler(authenticate).handler(body).handler(Gateway::arrived)
                .handler(ctx -> forward(ctx, "/completions"));
        router.post("/v1/embeddings").handler(authenticate).handler(body).handler(Gateway::arrived)
                .handler(ctx -> forward(ctx, "/embeddings"));
        router.errorHandler(413, ctx -> reject(ctx, ErrorResponses.tooLarge(options.maxBodyBytes())));
    }

    private void authenticate(RoutingContext ctx) {
        if (apiKeys.isEmpty()) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            for (byte[] key : apiKeys) {
                if (MessageDigest.isEqual(key, presented)) { // constant time: no key leaks by timing
                    ctx.next();
                    return;
                }
            }
        }
        reject(ctx, ErrorResponses.unauthorized());
    }

    private static void arrived(RoutingContext ctx) {
        ctx.put(RECEIVED, System.nanoTime());
        ctx.next();
    }

    /** When the request was received; now for one rejected before that (413). */
    private static long received(RoutingContext ctx) {
        Long received = ctx.get(RECEIVED);
        return received != null ? received : System.nanoTime();
    }

    private void chat(RoutingContext ctx) {
        long received = received(ctx);
        ChatRequest request;
        try {
            request = ChatRequest.parse(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
        } catch (InvalidRequestException e) {
            reject(ctx, ErrorResponses.invalid(e));
            return;
        }
        select(request.model()).onComplete(selected -> {
            List<Upstream> upstreams = selected.result();
            if (upstreams.isEmpty()) {
                reject(ctx, ErrorResponses.unknownModel(request.model(), List.copyOf(pool.catalog().keySet())));
                return;
            }
            new ChatExchange(vertx, ctx.response(), request, options, upstreams, callContext(ctx), meters,
                    ctx.request().method().name(), received).start();
        });
    }

    /** The upstreams for a model; asks the upstreams again when the model is unknown and the list is stale. */
    private Future<List<Upstream>> select(String model) {
        List<Upstream> found = pool.select(model);
        if (!found.isEmpty() || pool.refreshedAt().plus(REFRESH_ON_MISS_AFTER).isAfter(Instant.now())) {
            return Future.succeededFuture(found);
        }
        return pool.refresh().map(v -> pool.select(model));
    }

    private CallContext callContext(RoutingContext ctx) {
        String id = ctx.get(CorrelationId.MDC_KEY);
        Map<String, String> extra = new HashMap<>();
        String auth = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (options.forwardClientAuthorization() && auth != null) {
            extra.put(HttpHeaders.AUTHORIZATION.toString(), auth);
        }
        return new CallContext(id != null ? id : CorrelationId.generate(), extra);
    }

    private void models(RoutingContext ctx) {
        long received = received(ctx);
        ObjectNode root = OpenAiJson.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        pool.catalog().forEach((model, upstreams) -> {
            ObjectNode m = data.addObject();
            m.put("id", model);
            m.put("object", "model");
            m.put("created", 0);
            m.put("owned_by", upstreams.getFirst());
            ArrayNode served = m.putArray("upstreams");
            upstreams.forEach(served::add);
        });
        long overhead = System.nanoTime() - received; // all of it is the gateway's own time
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(OVERHEAD_HEADER, ChatExchange.millis(overhead))
                .end(root.toString());
        finishPlain(ctx, "/v1/models", 200, "none", "none", received, overhead, null);
    }

    /** {@code /v1/completions} and {@code /v1/embeddings}: passed through to the model's first upstream. */
    private void forward(RoutingContext ctx, String path) {
        long received = received(ctx);
        String route = "/v1" + path;
        Buffer body = ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        String model;
        try {
            JsonNode json = OpenAiJson.MAPPER.readTree(body.getBytes());
            if (json == null || !json.isObject()) {
                throw new InvalidRequestException(null, "invalid_type", "The request body must be a JSON object");
            }
            if (!json.path("model").isTextual() || json.path("model").asText().isEmpty()) {
                throw new InvalidRequestException("model", "missing_required_parameter",
                        "Missing required parameter: 'model'");
            }
            model = json.path("model").asText();
        } catch (InvalidRequestException e) {
            reject(ctx, ErrorResponses.invalid(e));
            return;
        } catch (Exception e) {
            reject(ctx, ErrorResponses.invalid(new InvalidRequestException(null, "invalid_json",
                    "The request body is not valid JSON")));
            return;
        }
        select(model).onComplete(selected -> {
            List<Upstream> upstreams = selected.result();
            if (upstreams.isEmpty()) {
                reject(ctx, ErrorResponses.unknownModel(model, List.copyOf(pool.catalog().keySet())));
                return;
            }
            Upstream upstream = upstreams.getFirst();
            HttpServerRequest request = ctx.request();
            MultiMap headers = MultiMap.caseInsensitiveMultiMap();
            if (request.getHeader(HttpHeaders.ACCEPT) != null) {
                headers.set(HttpHeaders.ACCEPT, request.getHeader(HttpHeaders.ACCEPT));
            }
            headers.set(HttpHeaders.CONTENT_TYPE, "application/json");
            long beforeCall = System.nanoTime() - received;
            upstream.forward(new ForwardedRequest(request.method(), path, headers, body), callContext(ctx))
                    .onSuccess(answer -> {
                        long answered = System.nanoTime();
                        HttpServerResponse response = ctx.response();
                        response.setStatusCode(answer.status());
                        String type = answer.headers().get(HttpHeaders.CONTENT_TYPE);
                        if (type != null) {
                            response.putHeader(HttpHeaders.CONTENT_TYPE, type);
                        }
                        if (type != null && type.startsWith("text/event-stream")) {
                            response.putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").putHeader("X-Accel-Buffering", "no");
                        }
                        // the body is piped as it comes: the overhead is what happened before its first byte
                        long overhead = beforeCall + System.nanoTime() - answered;
                        response.putHeader(UPSTREAM_HEADER, upstream.name())
                                .putHeader(OVERHEAD_HEADER, ChatExchange.millis(overhead))
                                .setChunked(true);
                        // a client gone before the end of the body cancels the upstream request, as for chat
                        response.closeHandler(v -> answer.call().cancel());
                        answer.body().pipeTo(response).onComplete(done -> finishPlain(ctx, route,
                                done.succeeded() ? answer.status() : 499, model, upstream.name(), received, overhead,
                                done.succeeded() ? null : "client_closed_request"));
                    })
                    .onFailure(e -> {
                        ErrorResponses.ApiError error = e instanceof UpstreamException ue
                                ? ErrorResponses.upstream(upstream.name(), ue)
                                : ErrorResponses.upstream(upstream.name(), UpstreamException.of(
                                        UpstreamException.Kind.REFUSED, String.valueOf(e.getMessage()), false));
                        long overhead = beforeCall;
                        ErrorResponses.send(ctx.response().putHeader(UPSTREAM_HEADER, upstream.name())
                                .putHeader(OVERHEAD_HEADER, ChatExchange.millis(overhead)), error);
                        finishPlain(ctx, route, error.status(), model, upstream.name(), received, overhead,
                                error.code());
                    });
        });
    }

    private void reject(RoutingContext ctx, ErrorResponses.ApiError error) {
        long received = received(ctx);
        long overhead = System.nanoTime() - received; // no upstream was involved: all of it is ours
        ErrorResponses.send(ctx.response().putHeader(OVERHEAD_HEADER, ChatExchange.millis(overhead)), error);
        finishPlain(ctx, ctx.normalizedPath(), error.status(), "none", "none", received, overhead, error.code());
    }

    private void finishPlain(RoutingContext ctx, String route, int status, String model, String upstream,
            long received, long overheadNanos, String error) {
        long duration = System.nanoTime() - received;
        meters.request(route, status, model, upstream, duration, overheadNanos);
        String id = ctx.get(CorrelationId.MDC_KEY);
        AccessLog.log(new AccessLog.Entry(id, ctx.request().method().name(), route, status, model, upstream, false,
                -1, 0, duration, overheadNanos, null, error));
    }

    /** Model ids for the start-up log: {@code model (upstream, …)}. */
    public static List<String> describe(UpstreamPool pool) {
        List<String> lines = new ArrayList<>();
        pool.catalog().forEach((model, upstreams) -> lines.add(model + " via " + String.join(", ", upstreams)));
        return lines;
    }
}
