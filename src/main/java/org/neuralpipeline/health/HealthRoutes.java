package org.neuralpipeline.health;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** {@code /health/live}: the process is up and its event loop answers. Readiness comes with upstreams. */
public final class HealthRoutes {
    private static final String LIVE = "{\"status\":\"UP\"}";

    private HealthRoutes() {
    }

    public static void live(RoutingContext ctx) {
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(LIVE);
    }
}
