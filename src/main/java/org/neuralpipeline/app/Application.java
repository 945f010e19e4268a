package org.neuralpipeline.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.VertxInternal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.neuralpipeline.broadcast.BroadcastHub;
import org.neuralpipeline.broadcast.ViewerEndpoints;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.config.UpstreamConfig;
import org.neuralpipeline.gateway.Gateway;
import org.neuralpipeline.gateway.GatewayOptions;
import org.neuralpipeline.health.HealthRoutes;
import org.neuralpipeline.ingest.HttpIngest;
import org.neuralpipeline.ingest.UnixSocketIngest;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.upstream.HttpUpstream;
import org.neuralpipeline.upstream.LocalProbe;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamPool;
import org.neuralpipeline.upstream.builtin.BuiltinUpstream;
import org.neuralpipeline.visual.Visualizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds Vert.x, the meter registry and the components, and owns their start and
 * stop order. Nothing else knows how the parts are wired.
 *
 * <p>Start order: the broadcast hub, upstreams (configured, else probed local servers), then the built-in
 * model last (so a real server wins for any model it also serves), each wrapped so that its chat streams are
 * broadcast ({@link BroadcastingUpstream}), the catalogue of models, the gateway, the HTTP server, the ingest
 * socket. Stop order is the reverse.
 */
public final class Application implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Application.class);
    /** How often the model catalogue is refreshed from the upstreams. */
    static final long CATALOGUE_REFRESH_MILLIS = 30_000;

    private final PipelineConfig config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final UpstreamPool pool;
    private final HttpServer server;
    private final BroadcastHub hub;
    private final UnixSocketIngest socket;

    private Application(PipelineConfig config, Vertx vertx, PrometheusMeterRegistry registry, UpstreamPool pool,
            HttpServer server, BroadcastHub hub, UnixSocketIngest socket) {
        this.config = config;
        this.vertx = vertx;
        this.registry = registry;
        this.pool = pool;
        this.server = server;
        this.hub = hub;
        this.socket = socket;
    }

    /** Starts the service and returns once it listens; fails with a clear reason otherwise. */
    public static Application start(PipelineConfig config) {
        // epoll where Netty's native library loads (measured: docs/BENCHMARKS.md), else the JDK's NIO
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        PrometheusMeterRegistry registry = Metrics.newPrometheusRegistry();
        Metrics metrics = new Metrics(registry);
        BroadcastConfig broadcast = config.broadcast();
        Metrics.BroadcastMeters broadcastMeters = metrics.broadcast();
        // one event loop for the HTTP server's connections, the hub and ingest: see docs/CONCURRENCY.md
        Context loop = ((VertxInternal) vertx).createEventLoopContext();
        BroadcastHub hub = new BroadcastHub(vertx, loop, broadcast, broadcastMeters, InstantSource.system(),
                System::nanoTime).start();
        Visualizer visualizer = new Visualizer(hub, broadcast, InstantSource.system(), System::nanoTime);
        try {
            HttpClient upstreamClient = vertx.createHttpClient(new HttpClientOptions()
                            .setConnectTimeout((int) config.timeouts().connect().toMillis())
                            .setTcpNoDelay(true)
                            .setKeepAlive(true),
                    // every open stream holds a connection; Vert.x's default of 5 per server would queue the 6th
                    new PoolOptions().setHttp1MaxSize(2_000).setMaxWaitQueueSize(10_000));
            List<Upstream> upstreams = upstreams(config, vertx, upstreamClient).stream()
                    .<Upstream>map(u -> new BroadcastingUpstream(u, visualizer))
                    .toList();
            UpstreamPool pool = new UpstreamPool(upstreams, Instant::now);
            // from the service's loop, so that the upstream connections they open (pooled, and reused by chats)
            // answer on that loop too
            on(loop, pool::refresh).await(30, TimeUnit.SECONDS);
            loop.runOnContext(v -> vertx.setPeriodic(CATALOGUE_REFRESH_MILLIS, id -> pool.refresh()));

            Gateway gateway = new Gateway(vertx, pool, gatewayOptions(config), metrics.gateway());
            HttpServer server = vertx.createHttpServer(serverOptions(config))
                    .requestHandler(Routes.build(vertx, registry, config, gateway, new HealthRoutes(pool),
                            new ViewerEndpoints(hub), new HttpIngest(hub, broadcast, broadcastMeters)));
            // a server takes the event loop of the context it listens from for all its connections
            on(loop, server::listen).await(30, TimeUnit.SECONDS);
            UnixSocketIngest socket = broadcast.ingestEnabled() && !broadcast.ingestSocket().isEmpty()
                    ? UnixSocketIngest.open(vertx, loop, Path.of(broadcast.ingestSocket()), hub, broadcast,
                            broadcastMeters)
                    : null;
            Application app = new Application(config, vertx, registry, pool, server, hub, socket);
            app.logWhatIsServed();
            return app;
        } catch (Exception e) {
            vertx.close();
            registry.close();
            throw new StartupException("cannot start on " + config.server().host() + ":" + config.server().port()
                    + ": " + (e.getMessage() != null ? e.getMessage() : e), e);
        }
    }

    /** Calls {@code action} on {@code context}'s thread; its future, completed there. */
    private static <T> Future<T> on(Context context, Supplier<Future<T>> action) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> action.get().onComplete(promise));
        return promise.future();
    }

    static HttpServerOptions serverOptions(PipelineConfig config) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.server().host())
                .setPort(config.server().port())
                .setTcpNoDelay(true)
                .setCompressionSupported(false)
                // the hub shares each message's bytes between viewers; per-viewer compression would undo that
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
        if (config.broadcast().sendBuffer() > 0) {
            // small, so that a viewer that stops reading fills its bounded queue, not megabytes of kernel buffer
            options.setSendBufferSize((int) config.broadcast().sendBuffer());
        }
        return options;
    }

    private static List<Upstream> upstreams(PipelineConfig config, Vertx vertx, HttpClient client) throws Exception {
        List<Upstream> upstreams = new ArrayList<>();
        for (UpstreamConfig u : config.upstreams()) {
            upstreams.add(new HttpUpstream(new HttpUpstream.Settings(u.name(), u.url().toString(), u.apiKey(),
                    u.models(), u.includeUsage(), config.timeouts().connect(), 1 << 20), vertx, client));
        }
        if (upstreams.isEmpty() && config.probeLocal()) {
            List<HttpUpstream> found = LocalProbe.probe(vertx, client).await(10, TimeUnit.SECONDS);
            if (found.isEmpty()) {
                LOG.info("no upstream configured and no LM Studio (:1234) or Ollama (:11434) answered");
            }
            upstreams.addAll(found);
        }
        if (config.builtin().enabled()) {
            upstreams.add(new BuiltinUpstream(vertx, config.builtin().tokensPerSecond()));
        }
        return upstreams;
    }

    static GatewayOptions gatewayOptions(PipelineConfig config) {
        return new GatewayOptions(config.limits().maxBodyBytes(), config.timeouts().firstToken(),
                config.timeouts().idle(), config.timeouts().total(), config.timeouts().keepAlive(),
                config.auth().apiKeys(), config.auth().forwardClientAuthorization());
    }

    private void logWhatIsServed() {
        LOG.info("Neural Pipeline listening on {} ({} sockets)", url(),
                vertx.isNativeTransportEnabled() ? "epoll" : "NIO");
        LOG.info("broadcast: viewers on {}/ws and {}/v1/neural/stream; ingest {}", url().replace("http:", "ws:"), url(),
                !config.broadcast().ingestEnabled() ? "off"
                        : "on " + url() + "/v1/neural/events" + (socket == null ? "" : " and " + socket.path()));
        for (UpstreamPool.UpstreamStatus s : pool.status()) {
            if (s.reachable()) {
                LOG.info("upstream {}: {} model(s): {}", s.name(), s.models().size(), String.join(", ", s.models()));
            } else {
                LOG.warn("upstream {}: not reachable ({}); will retry every {} s", s.name(), s.lastError(),
                        CATALOGUE_REFRESH_MILLIS / 1000);
            }
        }
        if (pool.catalog().isEmpty()) {
            LOG.warn("no model can be served yet: configure an upstream or enable the built-in model");
        } else {
            LOG.info("serving: {}", String.join("; ", Gateway.describe(pool)));
        }
    }

    public int port() {
        return server.actualPort();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8765}. */
    public String url() {
        return "http://" + hostForUrl() + ":" + port();
    }

    /** The models served and by which upstream, for the start-up message. */
    public List<String> served() {
        return Gateway.describe(pool);
    }

    private String hostForUrl() {
        // 0.0.0.0 and :: are bind-all addresses, not something a browser can open
        String h = config.server().host();
        if ("0.0.0.0".equals(h) || "::".equals(h)) {
            return "127.0.0.1";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** Stops the ingest socket, the viewers, the server, the upstreams, then Vert.x. Safe to call twice. */
    @Override
    public void close() {
        try {
            (socket == null ? Future.<Void>succeededFuture() : socket.close())
                    .eventually(hub::close)
                    .eventually(server::close)
                    .eventually(() -> Future.join(pool.upstreams().stream().map(Upstream::close).toList()))
                    .await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown of ingest, viewers, server and upstreams did not finish cleanly: {}", e.toString());
        }
        try {
            // not chained to the futures above: their callbacks run on an event loop that vertx.close() stops,
            // so a close completed there would never be reported and close() would wait out its timeout
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown of Vert.x did not finish cleanly: {}", e.toString());
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
