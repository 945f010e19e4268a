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
}
