package org.neuralpipeline.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.neuralpipeline.upstream.UpstreamPool;

/**
 * Is this process healthy: {@code /health/live} (the event loop answers), {@code /health/ready} (some
 * model can be served) and {@code /health} (JSON detail per upstream). Upstream health in the sense of
 * routing decisions lives with the upstreams; this is only a read-only view of it.
 */
public final class HealthRoutes {
    private static final String LIVE = "{\"status\":\"UP\"}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UpstreamPool pool;

    public HealthRoutes(UpstreamPool pool) {
        this.pool = pool;
    }

    public static void live(RoutingContext ctx) {
        json(ctx, 200, LIVE);
    }

    /** 200 when at least one model can be served, else 503: what a load balancer or orchestrator asks. */
    public void ready(RoutingContext ctx) {
        boolean ready = pool.ready();
        json(ctx, ready ? 200 : 503, ready ? "{\"status\":\"READY\"}" : "{\"status\":\"NOT_READY\"}");
    }

    /**
     * {@code {"status":"UP"|"DEGRADED"|"DOWN","ready":…,"models":N,"upstreams":[{"name","reachable",
     * "models":[…],"last_error","checked_at"}]}}: DEGRADED when some upstream is unreachable but a model
     * can still be served, DOWN when none can.
     */
    public void detail(RoutingContext ctx) {
        ObjectNode root = JSON.createObjectNode();
        boolean ready = pool.ready();
        boolean allReachable = pool.status().stream().allMatch(UpstreamPool.UpstreamStatus::reachable);
        root.put("status", !ready ? "DOWN" : allReachable ? "UP" : "DEGRADED");
        root.put("ready", ready);
        root.put("models", pool.catalog().size());
        ArrayNode upstreams = root.putArray("upstreams");
        for (UpstreamPool.UpstreamStatus s : pool.status()) {
            ObjectNode u = upstreams.addObject();
            u.put("name", s.name());
            u.put("reachable", s.reachable());
            ArrayNode models = u.putArray("models");
            s.models().forEach(models::add);
            u.put("last_error", s.lastError());
            u.put("checked_at", s.checkedAt() == null ? null : s.checkedAt().toString());
        }
        json(ctx, ready ? 200 : 503, root.toString());
    }

    private static void json(RoutingContext ctx, int status, String body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body);
    }
}
