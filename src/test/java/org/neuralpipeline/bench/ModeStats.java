package org.neuralpipeline.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one scenario measured in one mode (direct or via the gateway), summed over its rounds: latency
 * samples, counts, and the CPU and memory readings taken around each round.
 */
final class ModeStats {
    /** A growable list of longs (nanoseconds), sorted once for percentiles. */
    static final class Samples {
        private long[] values = new long[1024];
        private int size;
        private boolean sorted;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
            sorted = false;
        }

        int size() {
            return size;
        }

        /** Nearest-rank percentile (p in 0..1) in milliseconds; NaN when empty. */
        double percentileMs(double p) {
            if (size == 0) {
                return Double.NaN;
            }
            if (!sorted) {
                Arrays.sort(values, 0, size);
                sorted = true;
            }
            int rank = (int) Math.ceil(p * size);
            return values[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
        }

        double maxMs() {
            return percentileMs(1.0);
        }
    }

    final Samples ttft = new Samples();
    /** TTFT minus the upstream's own wait (request arrival to first content write): transport and gateway only. */
    final Samples ttftNet = new Samples();
    final Samples chunk = new Samples();
    /** X-Gateway-Overhead-Ms as the gateway reported it (nanoseconds here). */
    final Samples overheadHeader = new Samples();
    final Map<String, Integer> errors = new TreeMap<>();
    int streams;
    long tokens;
    long wallNanos;
    long roundsRun;

    /** Gateway process: CPU by thread run time (ns) and by utime+stime ticks (ms), summed over rounds. */
    long gatewaySchedNanos;
    long gatewayTickMillis;
    /** Gateway CPU (ns) by thread name, summed over rounds. */
    final Map<String, Long> gatewayThreads = new TreeMap<>();
    long gatewayRssBeforeKb = -1;
    long gatewayRssAfterKb = -1;
    long gatewayRssPeakKb = -1;

    /** Time the gateway's threads were runnable but waited for a CPU (the shared machine's share of latency). */
    long gatewayWaitNanos;

    /** This process (client + synthetic upstream), and its two event loops on their own. */
    long selfSchedNanos;
    long selfWaitNanos;
    long clientLoopNanos;
    long upstreamLoopNanos;

    /** Machine jiffies over the rounds: total and idle (+ iowait). */
    long machineTotal;
    long machineIdle;

    void error(String kind) {
        errors.merge(kind, 1, Integer::sum);
    }

    int errorCount() {
        return errors.values().stream().mapToInt(Integer::intValue).sum();
    }

    double tokensPerSecond() {
        return wallNanos == 0 ? Double.NaN : tokens / (wallNanos / 1e9);
    }

    double idleShare() {
        return machineTotal == 0 ? Double.NaN : (double) machineIdle / machineTotal;
    }

    double gatewayCpuMsPer1kTokens() {
        return tokens == 0 ? Double.NaN : gatewaySchedNanos / 1e6 / (tokens / 1000.0);
    }

    /** The thread names that used the most gateway CPU, with their share of it. */
    String topGatewayThreads(int n) {
        long total = gatewayThreads.values().stream().mapToLong(Long::longValue).sum();
        if (total <= 0) {
            return "?";
        }
        return String.join(", ", gatewayThreads.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .map(e -> String.format(java.util.Locale.ROOT, "%s %.0f%%", e.getKey(), 100.0 * e.getValue() / total))
                .toList());
    }

    static List<Double> triple(Samples s) {
        return List.of(s.percentileMs(0.50), s.percentileMs(0.99), s.maxMs());
    }
}
