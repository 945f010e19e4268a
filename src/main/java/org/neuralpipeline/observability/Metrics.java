package org.neuralpipeline.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;

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
 *   <tr><td>{@code jvm_*}, {@code process_*}, {@code system_*}</td><td>various</td><td></td>
 *       <td>JVM memory, GC, threads, classes; process CPU, uptime, file descriptors</td></tr>
 * </table>
 */
public final class Metrics {
    static final String PREFIX = "neural_pipeline.";

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

    /** The counters an SSE client updates; {@link #NONE} counts nothing. */
    public record SseClientMeters(Counter events, Counter receivedBytes, Counter reconnects, Counter parseErrors) {
        public static final SseClientMeters NONE = new Metrics(
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).sseClient("none");
    }
}
