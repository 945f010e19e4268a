package org.neuralpipeline.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code access} logger: in JSON each value is its own field, in text they
 * read {@code key=value}. Never the prompt or the answer.
 */
public final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("access");

    private AccessLog() {
    }

    /**
     * @param firstTokenNanos time to first token, or negative when none was sent
     * @param overheadNanos the gateway's own time (see docs/API.md), or negative when not measured
     * @param error the error code sent to the client, or null
     */
    public record Entry(String requestId, String method, String path, int status, String model, String upstream,
            boolean stream, long firstTokenNanos, int tokens, long durationNanos, long overheadNanos,
            String finishReason, String error) {
    }

    public static void log(Entry e) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        // the request id travels in the MDC (request_id), like every other line about this request
        CorrelationId.run(e.requestId() != null ? e.requestId() : "-", () -> LOG.info(
                "{} {} {} {} {} {} {} {} {} {} {} {}",
                kv("method", e.method()), kv("path", e.path()),
                kv("status", e.status()), kv("model", e.model()), kv("upstream", e.upstream()),
                kv("stream", e.stream()),
                kv("ttft_ms", e.firstTokenNanos() < 0 ? null : ms(e.firstTokenNanos())),
                kv("tokens", e.tokens()), kv("duration_ms", ms(e.durationNanos())),
                kv("overhead_ms", e.overheadNanos() < 0 ? null : ms(e.overheadNanos())),
                kv("finish_reason", e.finishReason()), kv("error", e.error())));
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
