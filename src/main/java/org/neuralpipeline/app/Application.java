package org.neuralpipeline.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.config.ServerConfig;
import org.neuralpipeline.observability.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds Vert.x, the meter registry and the components, and owns their start and
 * stop order. Nothing else knows how the parts are wired.
 */
public final class Application implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Application.class);

    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private final ServerConfig config;

    private Application(ServerConfig config, Vertx vertx, PrometheusMeterRegistry registry, HttpServer server) {
        this.config = config;
        this.vertx = vertx;
        this.registry = registry;
        this.server = server;
    }

    /** Starts the service and returns once it listens; fails with the bind error otherwise. */
    public static Application start(ServerConfig config) {
        Vertx vertx = Vertx.vertx();
        PrometheusMeterRegistry registry = Metrics.newPrometheusRegistry();
        try {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                            .setHost(config.host())
                            .setPort(config.port())
                            .setCompressionSupported(false))
                    .requestHandler(Routes.build(vertx, registry))
                    .listen()
                    .await(30, TimeUnit.SECONDS);
            Application app = new Application(config, vertx, registry, server);
            LOG.info("Neural Pipeline listening on {}", app.url());
            return app;
        } catch (Exception e) {
            vertx.close();
            registry.close();
            throw new StartupException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + (e.getMessage() != null ? e.getMessage() : e), e);
        }
    }

    public int port() {
        return server.actualPort();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8765}. */
    public String url() {
        return "http://" + hostForUrl() + ":" + port();
    }

    private String hostForUrl() {
        // 0.0.0.0 and :: are bind-all addresses, not something a browser can open
        String h = config.host();
        if ("0.0.0.0".equals(h) || "::".equals(h)) {
            return "127.0.0.1";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** Stops the server, then Vert.x. Safe to call twice. */
    @Override
    public void close() {
        Future<Void> closed = server.close().eventually(() -> vertx.close());
        try {
            closed.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown did not finish cleanly: {}", e.toString());
        }
        registry.close();
    }

    /** The service could not start; the message says why (for example, the port is taken). */
    public static final class StartupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
