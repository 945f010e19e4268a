package org.neuralpipeline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void sseClientMetersUsePrometheusConventions() {
        PrometheusMeterRegistry registry = Metrics.newPrometheusRegistry();
        Metrics.SseClientMeters meters = new Metrics(registry).sseClient("lmstudio");
        meters.events().increment(3);
        meters.receivedBytes().increment(1024);
        meters.reconnects().increment();
        meters.parseErrors().increment();

        String text = registry.scrape();
        assertThat(text)
                .contains("neural_pipeline_sse_client_events_total{client=\"lmstudio\"} 3.0")
                .contains("neural_pipeline_sse_client_received_bytes_total{client=\"lmstudio\"} 1024.0")
                .contains("neural_pipeline_sse_client_reconnects_total{client=\"lmstudio\"} 1.0")
                .contains("neural_pipeline_sse_client_parse_errors_total{client=\"lmstudio\"} 1.0")
                .contains("jvm_memory_used_bytes")
                .contains("process_cpu_usage")
                .contains("process_uptime_seconds");
        registry.close();
    }

    @Test
    void broadcastMetersUsePrometheusConventions() {
        PrometheusMeterRegistry registry = Metrics.newPrometheusRegistry();
        Metrics.BroadcastMeters meters = new Metrics(registry).broadcast();
        meters.viewerOpened("websocket");
        meters.viewerOpened("sse");
        meters.viewerClosed("sse", "slow");
        meters.viewerRefused();
        meters.published("TokenVisualizationUpdate");
        meters.delivered("websocket", new long[] {2_000_000, 3_000_000}, 2);
        meters.dropped("slow_viewer", 5);
        meters.queued(7);
        meters.queueDepth(7);
        meters.ingestLines("socket", 2, 1);

        assertThat(registry.scrape())
                .contains("neural_pipeline_broadcast_viewers{transport=\"websocket\"} 1.0")
                .contains("neural_pipeline_broadcast_viewers{transport=\"sse\"} 0.0")
                .contains("neural_pipeline_broadcast_viewers_closed_total{reason=\"slow\",transport=\"sse\"} 1.0")
                .contains("neural_pipeline_broadcast_viewers_refused_total 1.0")
                .contains("neural_pipeline_broadcast_messages_published_total{type=\"TokenVisualizationUpdate\"} 1.0")
                .contains("neural_pipeline_broadcast_deliveries_total{transport=\"websocket\"} 2.0")
                .contains("neural_pipeline_broadcast_delivery_latency_seconds_count{transport=\"websocket\"} 2")
                .contains("neural_pipeline_broadcast_delivery_latency_seconds_bucket{transport=\"websocket\",le=")
                .contains("neural_pipeline_broadcast_dropped_total{reason=\"slow_viewer\"} 5.0")
                .contains("neural_pipeline_broadcast_queued_messages 7.0")
                .contains("neural_pipeline_broadcast_queue_depth_max 7.0")
                .contains("neural_pipeline_ingest_lines_total{result=\"accepted\",transport=\"socket\"} 2.0")
                .contains("neural_pipeline_ingest_lines_total{result=\"rejected\",transport=\"socket\"} 1.0");
        registry.close();
    }

    @Test
    void publishedTypesAreCappedSoIngestCannotExplodeTheLabels() {
        PrometheusMeterRegistry registry = Metrics.newPrometheusRegistry();
        Metrics.BroadcastMeters meters = new Metrics(registry).broadcast();
        for (int i = 0; i < Metrics.MAX_TYPE_TAGS + 10; i++) {
            meters.published("Type" + i);
        }
        assertThat(registry.scrape())
                .contains("neural_pipeline_broadcast_messages_published_total{type=\"other\"} 10.0")
                .doesNotContain("type=\"Type" + Metrics.MAX_TYPE_TAGS + "\"");
        registry.close();
    }
}
