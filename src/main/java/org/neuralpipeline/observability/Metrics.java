package org.neuralpipeline.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place that names meters. The registry is passed in (never Micrometer's global one),
 * so tests use a fresh {@code SimpleMeterRegistry} and assert on exact values.
 *
 * <p>Metric reference (Prometheus names; Micrometer adds {@code _total} to counters and unit suffixes):
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>Tags</th><th>Meaning</th></tr>
 *   <tr><td>{@code neural_pipeline_sse_client_events_total}</td><td>counter</td><td>{@code client}</td>
 *       <td>events dispatched by an SSE client</td></tr>
 *   <tr><td>{@code neural_pipeline_sse_client_received_bytes_total}</td><td>counter</td><td>{@code client}</td>
 *       <td>bytes of event stream received</td></tr>
 *   <tr><td>{@code neural_pipeline_sse_client_reconnects_total}</td><td>counter</td><td>{@code client}</td>
 *       <td>reconnection attempts started</td></tr>
 *   <tr><td>{@code neural_pipeline_sse_client_parse_errors_total}</td><td>counter</td><td>{@code client}</td>
 *       <td>streams abandoned because a line or event exceeded the parser's limit</td></tr>
 *   <tr><td>{@code neural_pipeline_requests_total}</td><td>counter</td><td>{@code route, status, model, upstream}</td>
 *       <td>HTTP requests answered (model and upstream are "none" when the request never reached one)</td></tr>
 *   <tr><td>{@code neural_pipeline_request_duration_seconds}</td><td>histogram</td><td>{@code route}</td>
 *       <td>time from request received to response ended</td></tr>
 *   <tr><td>{@code neural_pipeline_time_to_first_token_seconds}</td><td>histogram</td><td>{@code model, upstream}</td>
 *       <td>time from request received to the first content written to the client</td></tr>
 *   <tr><td>{@code neural_pipeline_inter_token_latency_seconds}</td><td>histogram</td><td>{@code model, upstream}</td>
 *       <td>time between consecutive content chunks written to the client</td></tr>
 *   <tr><td>{@code neural_pipeline_gateway_overhead_seconds}</td><td>histogram</td><td>{@code route}</td>
 *       <td>time the gateway itself spent on a request: total time minus time waiting for the upstream</td></tr>
 *   <tr><td>{@code neural_pipeline_tokens_streamed_total}</td><td>counter</td><td>{@code model, upstream}</td>
 *       <td>content and reasoning chunks relayed (one per token for every supported upstream)</td></tr>
 *   <tr><td>{@code neural_pipeline_active_streams}</td><td>gauge</td><td></td>
 *       <td>chat completions in progress</td></tr>
 *   <tr><td>{@code neural_pipeline_upstream_errors_total}</td><td>counter</td><td>{@code upstream, kind}</td>
 *       <td>upstream failures: refused, timeout, http_status, protocol, truncated, stream_error, unsupported</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_viewers}</td><td>gauge</td><td>{@code transport}</td>
 *       <td>viewers connected: {@code websocket}, {@code sse}</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_viewers_refused_total}</td><td>counter</td><td></td>
 *       <td>viewers refused because {@code broadcast.max_viewers} were connected</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_viewers_closed_total}</td><td>counter</td>
 *       <td>{@code transport, reason}</td>
 *       <td>viewers gone: {@code client} (it left), {@code slow}, {@code stale}, {@code shutdown}</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_messages_published_total}</td><td>counter</td><td>{@code type}</td>
 *       <td>messages numbered and encoded by the hub, by {@code message_type} (the first
 *       {@value #MAX_TYPE_TAGS} types seen; later ones count as {@code other})</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_deliveries_total}</td><td>counter</td><td>{@code transport}</td>
 *       <td>messages written to a viewer's socket</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_dropped_total}</td><td>counter</td><td>{@code reason}</td>
 *       <td>messages a viewer did not get: {@code slow_viewer} (dropped from its queue), {@code viewer_closed}
 *       (queued when it was closed as slow or stale), {@code replay_window} (older than the replay ring on
 *       resume), {@code hub_overloaded} (not accepted at all), {@code encode_error}</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_queued_messages}</td><td>gauge</td><td></td>
 *       <td>messages waiting in all viewers' queues</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_queue_depth}</td><td>summary</td><td></td>
 *       <td>a viewer's queue length each time a batch is written to it ({@code _max}: the deepest)</td></tr>
 *   <tr><td>{@code neural_pipeline_broadcast_delivery_latency_seconds}</td><td>histogram</td><td>{@code transport}</td>
 *       <td>from publish to the socket accepting the message's last byte</td></tr>
 *   <tr><td>{@code neural_pipeline_ingest_lines_total}</td><td>counter</td><td>{@code transport, result}</td>
 *       <td>NDJSON lines received on {@code http} or {@code socket}: {@code accepted}, {@code rejected}</td></tr>
 *   <tr><td>{@code jvm_*}, {@code process_*}, {@code system_*}</td><td>various</td><td></td>
 *       <td>JVM memory, GC, threads, classes; process CPU, uptime, file descriptors</td></tr>
 * </table>
 */
public final class Metrics {
    static final String PREFIX = "neural_pipeline.";
    /** Distinct {@code type} tags of published messages; ingest clients choose types, so they are capped. */
    static final int MAX_TYPE_TAGS = 32;

    private final MeterRegistry registry;

    public Metrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** A Prometheus registry with the JVM and process binders bound: what {@code serve} exposes. */
    public static PrometheusMeterRegistry newPrometheusRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Meters of one SSE client, tagged with its name (an upstream name, or "cli"). */
    public SseClientMeters sseClient(String client) {
        return new SseClientMeters(
                counter("sse.client.events", "Events dispatched by an SSE client", client),
                Counter.builder(PREFIX + "sse.client.received")
                        .baseUnit("bytes")
                        .description("Bytes of event stream received by an SSE client")
                        .tag("client", client)
                        .register(registry),
                counter("sse.client.reconnects", "Reconnection attempts started by an SSE client", client),
                counter("sse.client.parse.errors", "SSE streams abandoned on a parser limit", client));
    }

    private Counter counter(String name, String description, String client) {
        return Counter.builder(PREFIX + name).description(description).tag("client", client).register(registry);
    }

    /** The gateway's meters; create once per application. */
    public GatewayMeters gateway() {
        AtomicInteger active = new AtomicInteger();
        Gauge.builder(PREFIX + "active.streams", active, AtomicInteger::get)
                .description("Chat completions in progress")
                .register(registry);
        return new GatewayMeters(registry, active);
    }

    /** Meters of the OpenAI-compatible gateway. Per-stream meters are looked up once per stream. */
    public static final class GatewayMeters {
        private final MeterRegistry registry;
        private final AtomicInteger activeStreams;

        GatewayMeters(MeterRegistry registry, AtomicInteger activeStreams) {
            this.registry = registry;
            this.activeStreams = activeStreams;
        }

        public void request(String route, int status, String model, String upstream, long durationNanos,
                long overheadNanos) {
            Counter.builder(PREFIX + "requests")
                    .description("HTTP requests answered")
                    .tags(Tags.of("route", route, "status", Integer.toString(status), "model", model,
                            "upstream", upstream))
                    .register(registry)
                    .increment();
            latency("request.duration", "Time from request received to response ended", Tags.of("route", route))
                    .record(durationNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (overheadNanos >= 0) {
                latency("gateway.overhead", "Time the gateway spent on a request, excluding upstream waits",
                        Tags.of("route", route)).record(overheadNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        public StreamMeters stream(String model, String upstream) {
            Tags tags = Tags.of("model", model, "upstream", upstream);
            return new StreamMeters(
                    latency("time.to.first.token", "Time from request received to the first content written", tags),
                    latency("inter.token.latency", "Time between consecutive content chunks written", tags),
                    Counter.builder(PREFIX + "tokens.streamed")
                            .description("Content and reasoning chunks relayed")
                            .tags(tags)
                            .register(registry),
                    activeStreams);
        }

        public void upstreamError(String upstream, String kind) {
            Counter.builder(PREFIX + "upstream.errors")
                    .description("Upstream failures by kind")
                    .tags("upstream", upstream, "kind", kind)
                    .register(registry)
                    .increment();
        }

        private Timer latency(String name, String description, Tags tags) {
            return Timer.builder(PREFIX + name)
                    .description(description)
                    .tags(tags)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(10_000))
                    .maximumExpectedValue(Duration.ofMinutes(10))
                    .register(registry);
        }
    }

    /** The broadcast hub's and ingest's meters; create once per application. */
    public BroadcastMeters broadcast() {
        return new BroadcastMeters(registry);
    }

    /**
     * Meters of the broadcast hub, its viewers and ingest. Every method is cheap and thread-safe: meters are
     * registered once and cached, since the hub calls these per message and per batch.
     */
    public static final class BroadcastMeters {
        private final MeterRegistry registry;
        private final Map<String, TransportMeters> transports = new ConcurrentHashMap<>();
        private final Map<String, Counter> published = new ConcurrentHashMap<>();
        private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
        private final Map<String, Counter> closed = new ConcurrentHashMap<>();
        private final Map<String, Counter> ingest = new ConcurrentHashMap<>();
        private final Counter refused;
        private final Counter unbatched;
        private final AtomicLong queued = new AtomicLong();
        private final DistributionSummary queueDepth;

        private record TransportMeters(AtomicInteger viewers, Counter deliveries, Timer latency) {
        }

        BroadcastMeters(MeterRegistry registry) {
            this.registry = registry;
            this.refused = Counter.builder(PREFIX + "broadcast.viewers.refused")
                    .description("Viewers refused because the maximum was connected")
                    .register(registry);
            this.unbatched = Counter.builder(PREFIX + "broadcast.viewers.unbatched")
                    .description("WebSocket viewers written one frame per system call, their connection's channel "
                            + "being out of reach (the log says why); 0 unless something is wrong")
                    .register(registry);
            Gauge.builder(PREFIX + "broadcast.queued.messages", queued, AtomicLong::get)
                    .description("Messages waiting in all viewers' queues")
                    .register(registry);
            this.queueDepth = DistributionSummary.builder(PREFIX + "broadcast.queue.depth")
                    .description("A viewer's queue length when a batch is written to it")
                    .distributionStatisticBufferLength(1) // see delivery.latency
                    .register(registry);
            transport("websocket");
            transport("sse");
        }

        /** For tests and tools that broadcast without metrics. */
        public static BroadcastMeters none() {
            return new BroadcastMeters(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        }

        private TransportMeters transport(String transport) {
            return transports.computeIfAbsent(transport, t -> {
                AtomicInteger viewers = new AtomicInteger();
                Gauge.builder(PREFIX + "broadcast.viewers", viewers, AtomicInteger::get)
                        .description("Viewers connected")
                        .tag("transport", t)
                        .register(registry);
                return new TransportMeters(viewers,
                        Counter.builder(PREFIX + "broadcast.deliveries")
                                .description("Messages written to a viewer's socket")
                                .tag("transport", t)
                                .register(registry),
                        Timer.builder(PREFIX + "broadcast.delivery.latency")
                                .description("From publish to the socket accepting the message")
                                .tag("transport", t)
                                .publishPercentileHistogram()
                                .minimumExpectedValue(Duration.ofNanos(10_000))
                                .maximumExpectedValue(Duration.ofSeconds(60))
                                // recorded once per message and viewer: one ring slot for the _max, not three,
                                // each updated by compare-and-set (a sixth of the hub's CPU with three)
                                .distributionStatisticBufferLength(1)
                                .register(registry));
            });
        }

        public void viewerOpened(String transport) {
            transport(transport).viewers().incrementAndGet();
        }

        public void viewerClosed(String transport, String reason) {
            transport(transport).viewers().decrementAndGet();
            closed.computeIfAbsent(transport + "/" + reason, k -> Counter.builder(PREFIX + "broadcast.viewers.closed")
                    .description("Viewers gone, by reason")
                    .tags("transport", transport, "reason", reason)
                    .register(registry)).increment();
        }

        public void viewerRefused() {
            refused.increment();
        }

        public void viewerUnbatched() {
            unbatched.increment();
        }

        public void published(String type) {
            Counter c = published.get(type);
            if (c == null) {
                String tag = published.size() < MAX_TYPE_TAGS ? type : "other";
                c = published.computeIfAbsent(tag, t -> Counter.builder(PREFIX + "broadcast.messages.published")
                        .description("Messages numbered and encoded by the hub")
                        .tag("type", t)
                        .register(registry));
            }
            c.increment();
        }

        /** {@code count} messages reached one viewer's socket; {@code latencyNanos} for each. */
        public void delivered(String transport, long[] latencyNanos, int count) {
            TransportMeters m = transport(transport);
            m.deliveries().increment(count);
            for (int i = 0; i < count; i++) {
                m.latency().record(latencyNanos[i], TimeUnit.NANOSECONDS);
            }
        }

        public void dropped(String reason, long count) {
            dropped.computeIfAbsent(reason, r -> Counter.builder(PREFIX + "broadcast.dropped")
                    .description("Messages a viewer did not get, by reason")
                    .tag("reason", r)
                    .register(registry)).increment(count);
        }

        /** Messages added to (positive) or taken from (negative) viewers' queues. */
        public void queued(long delta) {
            queued.addAndGet(delta);
        }

        public void queueDepth(int depth) {
            queueDepth.record(depth);
        }

        public void ingestLines(String transport, int accepted, int rejected) {
            if (accepted > 0) {
                ingestCounter(transport, "accepted").increment(accepted);
            }
            if (rejected > 0) {
                ingestCounter(transport, "rejected").increment(rejected);
            }
        }

        private Counter ingestCounter(String transport, String result) {
            return ingest.computeIfAbsent(transport + "/" + result, k -> Counter.builder(PREFIX + "ingest.lines")
                    .description("NDJSON lines received by ingest")
                    .tags("transport", transport, "result", result)
                    .register(registry));
        }
    }

    /** Meters of one stream (one model and upstream). */
    public record StreamMeters(Timer timeToFirstToken, Timer interTokenLatency, Counter tokens,
            AtomicInteger activeStreams) {
    }

    /** The counters an SSE client updates; {@link #NONE} counts nothing. */
    public record SseClientMeters(Counter events, Counter receivedBytes, Counter reconnects, Counter parseErrors) {
        public static final SseClientMeters NONE = new Metrics(
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).sseClient("none");
    }
}
