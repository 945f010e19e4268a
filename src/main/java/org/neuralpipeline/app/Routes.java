package org.neuralpipeline.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.neuralpipeline.broadcast.ViewerEndpoints;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.gateway.Gateway;
import org.neuralpipeline.health.HealthRoutes;
import org.neuralpipeline.ingest.HttpIngest;
import org.neuralpipeline.observability.CorrelationId;

/** Every HTTP path the service exposes, in one list. */
final class Routes {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private Routes() {
    }

    static Router build(Vertx vertx, PrometheusMeterRegistry registry, PipelineConfig config, Gateway gateway,
            HealthRoutes health, ViewerEndpoints viewers, HttpIngest ingest) {
        Router router = Router.router(vertx);
        router.route().handler(Routes::requestId);

        gateway.mount(router); // /v1/chat/completions, /v1/models, /v1/completions, /v1/embeddings
        Handler<RoutingContext> viewerKey = viewerKey(config.auth().apiKeys());
        router.get("/ws").handler(viewerKey).handler(viewers::webSocket);
        router.get("/v1/neural/stream").handler(viewerKey).handler(viewers::sse);
        router.get("/v1/neural/recent").handler(viewerKey).handler(viewers::recent);
        router.post("/v1/neural/events")
                .handler(BodyHandler.create(false).setBodyLimit(config.limits().maxBodyBytes()))
                .handler(ingest::handle);
        router.get("/health/live").handler(HealthRoutes::live);
        router.get("/health/ready").handler(health::ready);
        router.get("/health").handler(health::detail);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT)
                .end(registry.scrape()));

        router.route().last().handler(ctx -> HttpErrors.send(ctx, 404, "invalid_request_error", "not_found",
                "Unknown path: " + ctx.request().method() + " " + ctx.request().path()));
        router.errorHandler(500, ctx -> HttpErrors.send(ctx, 500, "server_error", "internal_error",
                "Internal error; see the server log for request " + ctx.get(CorrelationId.MDC_KEY)));
        return router;
    }

    /**
     * Viewers see every token of every chat, so when clients need a key ({@code auth.api_keys}) viewers do too:
     * as {@code Authorization: Bearer <key>} or, for browsers' WebSocket and EventSource (which cannot set
     * headers), {@code ?access_token=<key>}. Constant-time comparison.
     */
    static Handler<RoutingContext> viewerKey(List<String> keys) {
        if (keys.isEmpty()) {
            return RoutingContext::next;
        }
        List<byte[]> accepted = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        return ctx -> {
            String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
            String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? header.substring(7).strip() : ctx.request().getParam("access_token");
            if (presented != null) {
                byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
                for (byte[] key : accepted) {
                    if (MessageDigest.isEqual(key, bytes)) {
                        ctx.next();
                        return;
                    }
                }
            }
            HttpErrors.send(ctx, 401, "invalid_request_error", "invalid_api_key",
                    "Viewers need an API key: Authorization: Bearer <key>, or ?access_token=<key>");
        };
    }

    /** Takes or makes the request id, returns it to the client and keeps it for handlers and logs. */
    private static void requestId(RoutingContext ctx) {
        String id = CorrelationId.fromHeader(ctx.request().getHeader(CorrelationId.HEADER));
        ctx.put(CorrelationId.MDC_KEY, id);
        ctx.response().putHeader(CorrelationId.HEADER, id);
        CorrelationId.run(id, ctx::next);
    }
}
