package org.neuralpipeline.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.neuralpipeline.bench.FanoutLoad.ChurnResult;
import org.neuralpipeline.bench.FanoutLoad.FanoutResult;

/** The fan-out results as Markdown: the tables of docs/BENCHMARKS.md and each target, met or missed. */
final class FanoutReport {
    /** Server CPU per delivered message, µs: the target, against 11-13 µs of a Node.js ws server. */
    static final double CPU_TARGET_MICROS = 3;
    static final long P99_TARGET_MICROS = 50_000;
    /** The hub's default queue bound per viewer (broadcast.queue_size) and the message size sent. */
    static final int QUEUE_SIZE = 1_000;
    static final int MESSAGE_BYTES = 250;

    private FanoutReport() {
    }

    static String markdown(Map<String, Object> report, List<Object> results) {
        StringBuilder md = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) report.get("machine");
        md.append(String.format(Locale.ROOT, "Machine: %s CPUs (%s), %s MB, %s; warm-up %s s, window %s s.%n%n",
                machine.get("nproc"), machine.get("cpu"), machine.get("memory_mb"), machine.get("jdk"),
                machine.get("warmup_seconds"), machine.get("steady_seconds")));

        List<FanoutResult> fan = results.stream().filter(FanoutResult.class::isInstance).map(FanoutResult.class::cast)
                .filter(r -> !r.name().startsWith("ingest")).toList();
        if (!fan.isEmpty()) {
            md.append("| Scenario | Viewers | Msg/s | Deliveries/s | p50 | p99 | p99.9 | Delivered / expected "
                    + "(healthy) | Drops in window: healthy viewers / server | Server CPU µs per delivery | Server CPU (user+sys) | "
                    + "Server RSS before / after / peak | Client CPU | Client CPU µs per frame: tool / viewers "
                    + "| Machine idle |\n");
            md.append("|---|--:|--:|--:|--:|--:|--:|---|---|--:|--:|---|--:|--:|--:|\n");
            for (FanoutResult r : fan) {
                md.append(String.format(Locale.ROOT,
                        "| %s | %,d%s | %.0f | %,.0f | %s | %s | %s | %s | %s | %.2f | %s | %s | %s | %.2f / %.2f (%s) "
                                + "| %.0f %% |%n",
                        r.name(), r.viewers(), r.slow() > 0 ? " + " + r.slow() + " never reading" : "", r.rate(),
                        r.deliveriesPerSecond(), ms(r.p50()), ms(r.p99()), ms(r.p999()), delivered(r), drops(r),
                        r.cpuMicrosPerDelivery(), cores(r.serverCpuMs(), r.windowSeconds()) + " ("
                                + pct(r.serverUserMs(), r.serverCpuMs()) + " user)",
                        mb(r.rssBeforeKb()) + " / " + mb(r.rssAfterKb()) + " / " + mb(r.rssPeakKb()),
                        cores(r.clientCpuMs(), r.windowSeconds()), r.clientMicrosPerFrame(),
                        r.viewerMicrosPerFrame(), r.client(), 100 * r.idleShare()));
            }
            md.append("\nCPU is in cores over the window (1.00 = one core busy); latency is publish to receive in"
                    + " ms on one monotonic clock; client CPU is the load tool (viewers and publisher); per frame:"
                    + " the tool's CPU, and its viewer threads' alone, over the window divided by the messages the"
                    + " viewers received in it (raw: NIO viewers, vertx: Vert.x's WebSocket client).\n\n");
            md.append("| Scenario | Server write calls per delivery | Idle server CPU (viewers connected) "
                    + "| Heap after GC: viewers connected → end "
                    + "| Heap committed | Descriptors before → during | Queued at window end |\n");
            md.append("|---|--:|--:|---|--:|---|--:|\n");
            for (FanoutResult r : fan) {
                md.append(String.format(Locale.ROOT, "| %s | %.2f | %.0f ms/s | %s → %s MB | %s MB | %d → %d | %,.0f |%n",
                        r.name(), r.writeCallsPerDelivery(), r.idleCpuMsPerSecond(), mb(r.heapConnected() / 1024), mb(r.heapEnd() / 1024),
                        mb(r.heapCommitted() / 1024), r.fdsBefore(), r.fdsAfter(),
                        r.queuedAtEnd()));
            }
            md.append("\nServer CPU by thread over the window (ms):\n\n");
            for (FanoutResult r : fan) {
                md.append("- ").append(r.name()).append(": ").append(threads(r.serverThreadsMs())).append('\n');
            }
            md.append('\n');
        }

        List<FanoutResult> ingest = results.stream().filter(FanoutResult.class::isInstance)
                .map(FanoutResult.class::cast).filter(r -> r.name().startsWith("ingest")).toList();
        if (!ingest.isEmpty()) {
            md.append("| Ingest (no viewer) | Msg/s | Lines per write | Accepted | Server CPU µs per message | "
                    + "Of which above the idle server | Server CPU (user+sys) | Client CPU | Machine idle |\n");
            md.append("|---|--:|--:|---|--:|--:|--:|--:|--:|\n");
            for (FanoutResult r : ingest) {
                double aboveIdle = (r.serverCpuMs() - r.idleCpuMsPerSecond() * r.windowSeconds()) * 1000
                        / r.windowMessages();
                md.append(String.format(Locale.ROOT, "| %s | %,.0f | %d | %s | %.1f | %.1f | %s (%s user) | %s | "
                                + "%.0f %% |%n",
                        r.ingest().equals("socket") ? "Unix socket, NDJSON" : "POST /v1/neural/events, NDJSON",
                        r.rate(), r.batch(), String.format(Locale.ROOT, "%,d of %,d sent%s", r.ingestAccepted(),
                                r.ingestSent(), r.ingestRejected() == 0 ? "" : ", " + r.ingestRejected() + " rejected"),
                        r.cpuMicrosPerMessage(), aboveIdle, cores(r.serverCpuMs(), r.windowSeconds()),
                        pct(r.serverUserMs(), r.serverCpuMs()), cores(r.clientCpuMs(), r.windowSeconds()),
                        100 * r.idleShare()));
            }
            md.append('\n');
        }

        List<ChurnResult> churn = results.stream().filter(ChurnResult.class::isInstance)
                .map(ChurnResult.class::cast).toList();
        for (ChurnResult c : churn) {
            md.append("| Churn | Duration | Handshake p50 / p99 / max | Failed | Descriptors baseline → after | "
                    + "RSS baseline → after | Heap after GC baseline → after | Viewers left | Machine idle |\n");
            md.append("|---|--:|---|--:|---|---|---|--:|--:|\n");
            md.append(String.format(Locale.ROOT, "| %,d cycles, bursts of %d | %.1f s | %s / %s / %s ms | %d | "
                            + "%d → %d | %s → %s | %s → %s | %.0f | %.0f %% |%n%n",
                    c.cycles(), c.burst(), c.seconds(), ms(c.handshakeP50()), ms(c.handshakeP99()),
                    ms(c.handshakeMax()), c.failures(), c.fdsBaseline(), c.fdsAfter(), mb(c.rssBaselineKb()),
                    mb(c.rssAfterKb()), mb(c.heapBaseline() / 1024), mb(c.heapAfter() / 1024), c.viewersAfter(),
                    100 * c.idleShare()));
        }

        md.append("Targets:\n\n");
        for (FanoutResult r : fan) {
            md.append(String.format(Locale.ROOT, "- %s: server CPU %.2f µs per delivered message (target <= %.0f): "
                    + "%s%n", r.name(), r.cpuMicrosPerDelivery(), CPU_TARGET_MICROS,
                    r.cpuMicrosPerDelivery() <= CPU_TARGET_MICROS ? "met" : "missed"));
        }
        find(fan, "v1000").ifPresent(r -> md.append(String.format(Locale.ROOT, "- v1000: %,.0f deliveries/s of "
                        + "%,.0f, p99 %s ms (target <= 50), healthy viewers got %s: %s%n", r.deliveriesPerSecond(),
                r.viewers() * r.rate(), ms(r.p99()), delivered(r),
                nothingDropped(r) && r.p99() <= P99_TARGET_MICROS
                        && r.deliveriesPerSecond() >= 0.99 * r.viewers() * r.rate() ? "met" : "missed")));
        find(fan, "v5000-r50").ifPresent(r -> md.append(String.format(Locale.ROOT, "- v5000-r50: healthy viewers "
                + "got %s, drops %s: %s%n", delivered(r), drops(r), nothingDropped(r) ? "met" : "missed")));
        find(fan, "v1000-slow50").ifPresent(slow -> find(fan, "v1000").ifPresent(base -> {
            long heapSlow = slow.heapEnd() - slow.heapConnected();
            long heapBase = base.heapEnd() - base.heapConnected();
            long rssSlow = slow.rssPeakKb() - slow.rssConnectedKb();
            long rssBase = base.rssPeakKb() - base.rssConnectedKb();
            long bound = (long) slow.slow() * QUEUE_SIZE * MESSAGE_BYTES;
            boolean p99Same = slow.p99() <= Math.max(base.p99() * 1.25, base.p99() + 2_000);
            md.append(String.format(Locale.ROOT, "- v1000-slow50: healthy p99 %s ms vs %s ms without the slow "
                            + "viewers (within noise, taken as at most 25 %% or 2 ms more): %s; healthy viewers got "
                            + "%s: %s%n",
                    ms(slow.p99()), ms(base.p99()), p99Same ? "met" : "missed", delivered(slow),
                    nothingDropped(slow) ? "nothing dropped" : "some dropped"));
            md.append(String.format(Locale.ROOT, "- v1000-slow50: memory held for the slow viewers: heap after GC "
                            + "grew %s MB during the run vs %s MB without them (difference %s MB); peak RSS grew "
                            + "%s MB vs %s MB (difference %s MB); bound: %d viewers x %d queued messages x %d B = "
                            + "%s MB: %s%n",
                    mb(heapSlow / 1024), mb(heapBase / 1024), mb((heapSlow - heapBase) / 1024), mb(rssSlow),
                    mb(rssBase), mb(rssSlow - rssBase), slow.slow(), QUEUE_SIZE, MESSAGE_BYTES, mb(bound / 1024),
                    heapSlow - heapBase <= bound && (rssSlow - rssBase) * 1024 <= bound ? "met" : "missed"));
        }));
        for (ChurnResult c : churn) {
            boolean fds = c.fdsAfter() <= c.fdsBaseline();
            boolean heap = c.heapAfter() <= c.heapBaseline() + Math.max(2L << 20, c.heapBaseline() / 10);
            md.append(String.format(Locale.ROOT, "- churn: descriptors %d → %d (%s), heap after GC %s → %s MB "
                            + "(at baseline: within 10 %% or 2 MB: %s), viewers left %.0f: %s%n", c.fdsBaseline(),
                    c.fdsAfter(), fds ? "back at baseline" : "not back", mb(c.heapBaseline() / 1024),
                    mb(c.heapAfter() / 1024), heap ? "yes" : "no", c.viewersAfter(),
                    fds && heap && c.viewersAfter() == 0 ? "met" : "missed"));
        }
        return md.toString();
    }

    private static java.util.Optional<FanoutResult> find(List<FanoutResult> results, String name) {
        return results.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** Every healthy viewer got every message of the window, and none was closed. */
    private static boolean nothingDropped(FanoutResult r) {
        return r.deliveredHealthy() == r.expectedHealthy() && r.viewerGaps() == 0 && r.healthyClosed() == 0;
    }

    private static String delivered(FanoutResult r) {
        String ratio = r.deliveredHealthy() == r.expectedHealthy() ? "100 %"
                : String.format(Locale.ROOT, "%.3f %%", 100.0 * r.deliveredHealthy() / r.expectedHealthy());
        return String.format(Locale.ROOT, "%,d / %,d (%s%s)", r.deliveredHealthy(), r.expectedHealthy(), ratio,
                r.viewersShort() > 0 ? ", " + r.viewersShort() + " viewers short, least " + r.minDelivered()
                        + " of " + r.expectedPerViewer() : "");
    }

    /** Window drops, viewers' count / server's; then what the whole run (warm-up and drain too) saw, if more. */
    private static String drops(FanoutResult r) {
        String text = String.format(Locale.ROOT, "%,d / %s", r.viewerGaps(), reasons(r.serverDropped()));
        if (r.healthyClosed() > 0) {
            text += String.format(Locale.ROOT, "; %,d healthy viewers closed", r.healthyClosed());
        }
        if (r.viewerGapsRun() != r.viewerGaps() || !r.serverDroppedRun().equals(r.serverDropped())) {
            text += String.format(Locale.ROOT, " (whole run: %,d / %s)", r.viewerGapsRun(),
                    reasons(r.serverDroppedRun()));
        }
        return text;
    }

    private static String reasons(Map<String, Double> dropped) {
        return dropped.isEmpty() ? "0" : dropped.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%,.0f %s", e.getValue(), e.getKey()))
                .collect(Collectors.joining(", "));
    }

    private static String threads(Map<String, Long> byThread) {
        return byThread.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, micros < 10_000 ? "%.2f" : "%.1f", micros / 1000.0);
    }

    static String mb(long kb) {
        return String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }

    static String cores(double cpuMs, double seconds) {
        return String.format(Locale.ROOT, "%.2f", cpuMs / 1000.0 / seconds);
    }

    static String pct(double part, double whole) {
        return whole <= 0 ? "-" : String.format(Locale.ROOT, "%.0f %%", 100 * part / whole);
    }
}
