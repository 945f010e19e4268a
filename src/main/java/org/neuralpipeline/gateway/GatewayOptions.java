package org.neuralpipeline.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the gateway needs from the configuration, in its own terms (the composition root maps the
 * configuration file onto this).
 *
 * @param maxBodyBytes largest request body accepted; larger ones get 413
 * @param firstToken deadline from request to the first token; before anything was sent, another upstream
 *     is tried, else 504
 * @param idle longest silence between two chunks once tokens flow
 * @param total deadline for the whole response
 * @param keepAlive interval of {@code : keep-alive} comments while the upstream is silent; the stream's
 *     headers are sent at the first keep-alive at the latest, so an upstream that fails before then still
 *     gets its real HTTP status to the client
 * @param apiKeys client API keys; empty means no authentication
 * @param forwardClientAuthorization send the client's Authorization header upstream (off by default)
 */
public record GatewayOptions(long maxBodyBytes, Duration firstToken, Duration idle, Duration total,
        Duration keepAlive, List<String> apiKeys, boolean forwardClientAuthorization) {

    public static final GatewayOptions DEFAULTS = new GatewayOptions(4L << 20, Duration.ofSeconds(120),
            Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofSeconds(15), List.of(), false);

    public GatewayOptions {
        Objects.requireNonNull(firstToken, "firstToken");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(total, "total");
        Objects.requireNonNull(keepAlive, "keepAlive");
        apiKeys = List.copyOf(apiKeys);
    }
}
