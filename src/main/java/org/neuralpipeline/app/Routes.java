package org.neuralpipeline.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;
import org.neuralpipeline.broadcast.ViewerEndpoints;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.gateway.Gateway;
import org.neuralpipeline.health.HealthRoutes;
import org.neuralpipeline.ingest.HttpIngest;
import org.neuralpipeline.observability.CorrelationId;
import org.neuralpipeline.visual.VisualShell;

/** Every HTTP path the service exposes, in one list. */
final class Routes {
    /** Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private Routes() {
    }

    /**
     * The server's request handler: {@code GET /ws} answered in front of the router (see
     * {@link ViewerEndpoints#webSocket}), everything else by the router.
     */
    static Handler<HttpServerRequest> build(Vertx vertx, PrometheusMeterRegistry registry, PipelineConfig config,
            Gateway gateway, HealthRoutes health, ViewerEndpoints viewers, HttpIngest ingest) {
        ViewerKey viewerKey = new ViewerKey(config.auth().apiKeys());
        Router router = router(vertx, registry, config, gateway, health, viewers, ingest, viewerKey);
        return request -> {
            if (request.method() == HttpMethod.GET && "/ws".equals(request.path())) {
                withRequestId(request, id -> {
                    if (viewerKey.admits(request)) {
                        viewers.webSocket(request);
                    } else {
                        viewerKey.refuse(request.response());
                    }
                });
            } else {
                router.handle(request);
            }
        };
    }

    private static Router router(Vertx vertx, PrometheusMeterRegistry registry, PipelineConfig config,
            Gateway gateway, HealthRoutes health, ViewerEndpoints viewers, HttpIngest ingest, ViewerKey viewerKey) {
        Router router = Router.router(vertx);
        router.route().handler(Routes::requestId);

        gateway.mount(router); // /v1/chat/completions, /v1/models, /v1/completions, /v1/embeddings
        Handler<RoutingContext> admitViewer = ctx -> {
            if (viewerKey.admits(ctx.request())) {
                ctx.next();
            } else {
                viewerKey.refuse(ctx.response());
            }
        };
        router.get("/v1/neural/stream").handler(admitViewer).handler(viewers::sse);
        router.get("/v1/neural/recent").handler(admitViewer).handler(viewers::recent);
        ingest.mount(router, config.limits().maxBodyBytes()); // POST /v1/neural/events
        router.get("/health/live").handler(HealthRoutes::live);
        router.get("/health/ready").handler(health::ready);
        router.get("/health").handler(health::detail);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT)
                .end(registry.scrape()));
        VisualShell.mount(router); // GET / (the page watching /ws), GET /visual/app.js, /visual/style.css

        router.route().last().handler(ctx -> HttpErrors.send(ctx, 404, "invalid_request_error", "not_found",
                "Unknown path: " + ctx.request().method() + " " + ctx.request().path()));
        router.errorHandler(500, ctx -> HttpErrors.send(ctx, 500, "server_error", "internal_error",
                "Internal error; see the server log for request " + ctx.get(CorrelationId.MDC_KEY)));
        return router;
    }

    /** Takes or makes the request id, returns it to the client and keeps it for handlers and logs. */
    private static void requestId(RoutingContext ctx) {
        withRequestId(ctx.request(), id -> {
            ctx.put(CorrelationId.MDC_KEY, id);
            ctx.next();
        });
    }

    /** Takes or makes the request id, returns it to the client and runs {@code handler} with it in the logs. */
    private static void withRequestId(HttpServerRequest request, Consumer<String> handler) {
        String id = CorrelationId.fromHeader(request.getHeader(CorrelationId.HEADER));
        request.response().putHeader(CorrelationId.HEADER, id);
        CorrelationId.run(id, () -> handler.accept(id));
    }
}
