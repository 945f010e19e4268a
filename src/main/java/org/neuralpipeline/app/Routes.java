package org.neuralpipeline.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.neuralpipeline.gateway.Gateway;
import org.neuralpipeline.health.HealthRoutes;
import org.neuralpipeline.observability.CorrelationId;

/** Every HTTP path the service exposes, in one list. */
final class Routes {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private Routes() {
    }

    static Router build(Vertx vertx, PrometheusMeterRegistry registry, Gateway gateway, HealthRoutes health) {
        Router router = Router.router(vertx);
        router.route().handler(Routes::requestId);

        gateway.mount(router); // /v1/chat/completions, /v1/models, /v1/completions, /v1/embeddings
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

    /** Takes or makes the request id, returns it to the client and keeps it for handlers and logs. */
    private static void requestId(RoutingContext ctx) {
        String id = CorrelationId.fromHeader(ctx.request().getHeader(CorrelationId.HEADER));
        ctx.put(CorrelationId.MDC_KEY, id);
        ctx.response().putHeader(CorrelationId.HEADER, id);
        CorrelationId.run(id, ctx::next);
    }
}
