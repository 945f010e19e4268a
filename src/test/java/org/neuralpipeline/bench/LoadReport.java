package org.neuralpipeline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neuralpipeline.bench.GatewayLoad.Mode;
import org.neuralpipeline.bench.GatewayLoad.Scenario;

/** The results of a run as one Markdown table (for docs/BENCHMARKS.md) and as JSON. */
final class LoadReport {
    private final List<Scenario> scenarios;
    private final Map<String, Map<Mode, ModeStats>> results;
    private final Map<String, Object> machine;
    private final boolean viaGateway;
    private final String gatewayMetrics;

    LoadReport(List<Scenario> scenarios, Map<String, Map<Mode, ModeStats>> results, Map<String, Object> machine,
            boolean viaGateway, String gatewayMetrics) {
        this.scenarios = scenarios;
        this.results = results;
        this.machine = machine;
        this.viaGateway = viaGateway;
        this.gatewayMetrics = gatewayMetrics;
    }

    /** One target and how the run did against it. */
    record Verdict(String name, double limit, double measured) {
        boolean met() {
            return !Double.isNaN(measured) && measured <= limit;
        }

        String text() {
            return String.format(Locale.ROOT, "%s ≤ %s: %s (%s)", name, num(limit), met() ? "**met**" : "**missed**",
                    num(measured));
        }
    }

    List<Verdict> verdicts(Scenario s) {
        List<Verdict> v = new ArrayList<>();
        ModeStats d = results.get(s.key()).get(Mode.DIRECT);
        ModeStats g = results.get(s.key()).get(Mode.GATEWAY);
        if (g == null) {
            return v;
        }
        GatewayLoad.Targets t = s.targets();
        if (!Double.isNaN(t.addedTtftP50Ms())) {
            v.add(new Verdict("added TTFT p50 ms", t.addedTtftP50Ms(), g.ttft.percentileMs(0.5) - d.ttft.percentileMs(0.5)));
        }
        if (!Double.isNaN(t.addedTtftP99Ms())) {
            v.add(new Verdict("added TTFT p99 ms", t.addedTtftP99Ms(), g.ttft.percentileMs(0.99) - d.ttft.percentileMs(0.99)));
        }
        if (!Double.isNaN(t.addedChunkP99Ms())) {
            v.add(new Verdict("added per-chunk p99 ms", t.addedChunkP99Ms(),
                    g.chunk.percentileMs(0.99) - d.chunk.percentileMs(0.99)));
        }
        if (t.noErrors()) {
            v.add(new Verdict("errors via gateway", 0, g.errorCount()));
        }
        if (!Double.isNaN(t.gatewayCpuMsPer1k())) {
            v.add(new Verdict("gateway CPU ms / 1,000 tokens", t.gatewayCpuMsPer1k(), g.gatewayCpuMsPer1kTokens()));
        }
        return v;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Machine: %s CPUs (%s), load average before %s, after %s; load tool JDK %s%n%n",
                machine.get("nproc"), machine.get("cpu_model"), machine.get("load_average_before"),
                machine.get("load_average_after"), machine.get("load_tool_jdk")));
        b.append("| Scenario | Metric | Direct | Via gateway | Added (gateway − direct) | Target |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (Scenario s : scenarios) {
            ModeStats d = results.get(s.key()).get(Mode.DIRECT);
            ModeStats g = results.get(s.key()).get(Mode.GATEWAY);
            List<Verdict> verdicts = verdicts(s);
            String name = "**" + s.key() + "**: " + s.title();
            row(b, name, "TTFT p50 / p99 / max, ms", triple(d.ttft), g == null ? "" : triple(g.ttft),
                    g == null ? "" : added(d.ttft, g.ttft), find(verdicts, "TTFT"));
            row(b, "", "TTFT without the upstream's own wait, p50 / p99 / max, ms", triple(d.ttftNet),
                    g == null ? "" : triple(g.ttftNet), g == null ? "" : added(d.ttftNet, g.ttftNet), "");
            row(b, "", "per-chunk latency (upstream write → client read), p50 / p99 / max, ms", triple(d.chunk),
                    g == null ? "" : triple(g.chunk), g == null ? "" : added(d.chunk, g.chunk), find(verdicts, "per-chunk"));
            row(b, "", "streams; chunks measured", d.streams + "; " + d.chunk.size(),
                    g == null ? "" : g.streams + "; " + g.chunk.size(), "", "");
            row(b, "", "tokens/s delivered (tokens / summed round time)", num(d.tokensPerSecond()),
                    g == null ? "" : num(g.tokensPerSecond()), "", "");
            row(b, "", "errors (by kind)", errors(d), g == null ? "" : errors(g), "", find(verdicts, "errors"));
            if (g != null) {
                row(b, "", "gateway CPU, ms per 1,000 relayed tokens (thread run time; utime+stime ticks)", "",
                        num(g.gatewayCpuMsPer1kTokens()) + " (" + num(g.gatewayTickMillis / (g.tokens / 1000.0)) + ")",
                        "", find(verdicts, "CPU"));
                row(b, "", "gateway CPU by thread", "", g.topGatewayThreads(4), "", "");
                row(b, "", "gateway RSS before / after / peak, MiB", "", mib(g.gatewayRssBeforeKb) + " / "
                        + mib(g.gatewayRssAfterKb) + " / " + mib(g.gatewayRssPeakKb), "", "");
                row(b, "", "gateway's own X-Gateway-Overhead-Ms p50 / p99 / max", "", triple(g.overheadHeader), "", "");
            }
            row(b, "", "load tool CPU ms: process (client loop, upstream loop)", selfCpu(d),
                    g == null ? "" : selfCpu(g), "", "");
            row(b, "", "run-queue wait (runnable, no CPU free), ms: load tool; gateway", waits(d, false),
                    g == null ? "" : waits(g, true), "", "");
            row(b, "", "machine idle share during the rounds", pct(d.idleShare()),
                    g == null ? "" : pct(g.idleShare()), "", "");
        }
        b.append('\n');
        if (viaGateway) {
            for (Scenario s : scenarios) {
                for (Verdict v : verdicts(s)) {
                    b.append("- ").append(s.key()).append(": ").append(v.text()).append('\n');
                }
            }
        }
        return b.toString();
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", machine);
        List<Object> list = new ArrayList<>();
        for (Scenario s : scenarios) {
            Map<String, Object> sc = new LinkedHashMap<>();
            sc.put("key", s.key());
            sc.put("title", s.title());
            sc.put("streams", s.round().streams());
            sc.put("tokens", s.round().tokens());
            sc.put("delay_ms", s.round().delayMs());
            sc.put("prefill_ms", s.round().prefillMs());
            sc.put("staggered_over_one_interval", s.round().staggered());
            sc.put("rounds_per_mode", s.rounds());
            Map<String, Object> modes = new LinkedHashMap<>();
            results.get(s.key()).forEach((mode, stats) -> modes.put(mode.name().toLowerCase(Locale.ROOT), json(stats, mode)));
            sc.put("modes", modes);
            ModeStats d = results.get(s.key()).get(Mode.DIRECT);
            ModeStats g = results.get(s.key()).get(Mode.GATEWAY);
            if (g != null) {
                Map<String, Object> added = new LinkedHashMap<>();
                added.put("ttft_ms", addedMap(d.ttft, g.ttft));
                added.put("ttft_net_ms", addedMap(d.ttftNet, g.ttftNet));
                added.put("chunk_ms", addedMap(d.chunk, g.chunk));
                sc.put("added", added);
                List<Object> targets = new ArrayList<>();
                for (Verdict v : verdicts(s)) {
                    targets.add(Map.of("name", v.name(), "limit", v.limit(), "measured", v.measured(), "met", v.met()));
                }
                sc.put("targets", targets);
            }
            list.add(sc);
        }
        root.put("scenarios", list);
        if (gatewayMetrics != null) {
            root.put("gateway_metrics_overhead_seconds", overheadFromMetrics(gatewayMetrics));
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }

    private static Map<String, Object> json(ModeStats s, Mode mode) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("streams", s.streams);
        m.put("rounds", s.roundsRun);
        m.put("tokens", s.tokens);
        m.put("tokens_per_second", s.tokensPerSecond());
        m.put("ttft_ms", dist(s.ttft));
        m.put("ttft_net_ms", dist(s.ttftNet));
        m.put("chunk_ms", dist(s.chunk));
        m.put("errors", s.errors);
        m.put("load_tool_cpu_ms", s.selfSchedNanos / 1e6);
        m.put("client_loop_cpu_ms", s.clientLoopNanos / 1e6);
        m.put("upstream_loop_cpu_ms", s.upstreamLoopNanos / 1e6);
        m.put("load_tool_runqueue_wait_ms", s.selfWaitNanos / 1e6);
        m.put("machine_idle_share", s.idleShare());
        if (mode == Mode.GATEWAY) {
            m.put("gateway_cpu_ms", s.gatewaySchedNanos / 1e6);
            m.put("gateway_cpu_ms_ticks", s.gatewayTickMillis);
            m.put("gateway_runqueue_wait_ms", s.gatewayWaitNanos / 1e6);
            m.put("gateway_cpu_ms_per_1k_tokens", s.gatewayCpuMsPer1kTokens());
            Map<String, Double> byThread = new LinkedHashMap<>();
            s.gatewayThreads.forEach((name, nanos) -> byThread.put(name, nanos / 1e6));
            m.put("gateway_cpu_ms_by_thread", byThread);
            m.put("gateway_rss_kb", Map.of("before", s.gatewayRssBeforeKb, "after", s.gatewayRssAfterKb,
                    "peak", s.gatewayRssPeakKb));
            m.put("gateway_overhead_header_ms", dist(s.overheadHeader));
        }
        return m;
    }

    private static Map<String, Object> dist(ModeStats.Samples s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", s.size());
        m.put("p50", s.percentileMs(0.50));
        m.put("p90", s.percentileMs(0.90));
        m.put("p99", s.percentileMs(0.99));
        m.put("p99.9", s.percentileMs(0.999));
        m.put("max", s.maxMs());
        return m;
    }

    private static Map<String, Object> addedMap(ModeStats.Samples d, ModeStats.Samples g) {
        return Map.of("p50", g.percentileMs(0.5) - d.percentileMs(0.5), "p99", g.percentileMs(0.99) - d.percentileMs(0.99),
                "max", g.maxMs() - d.maxMs());
    }

    /** Sum and count of the gateway's overhead summary over all its label sets, from /metrics. */
    static Map<String, Double> overheadFromMetrics(String text) {
        double sum = 0;
        double count = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("neural_pipeline_gateway_overhead_seconds_sum")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("neural_pipeline_gateway_overhead_seconds_count")) {
                count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Map.of("sum", sum, "count", count, "mean_ms", count == 0 ? Double.NaN : sum / count * 1000);
    }

    private static void row(StringBuilder b, String scenario, String metric, String direct, String gateway,
            String added, String target) {
        b.append("| ").append(scenario).append(" | ").append(metric).append(" | ").append(direct).append(" | ")
                .append(gateway).append(" | ").append(added).append(" | ").append(target).append(" |\n");
    }

    private static String find(List<Verdict> verdicts, String word) {
        return String.join("; ", verdicts.stream().filter(v -> v.name().contains(word)).map(Verdict::text).toList());
    }

    private static String triple(ModeStats.Samples s) {
        return num(s.percentileMs(0.5)) + " / " + num(s.percentileMs(0.99)) + " / " + num(s.maxMs());
    }

    private static String added(ModeStats.Samples d, ModeStats.Samples g) {
        return signed(g.percentileMs(0.5) - d.percentileMs(0.5)) + " / " + signed(g.percentileMs(0.99) - d.percentileMs(0.99))
                + " / " + signed(g.maxMs() - d.maxMs());
    }

    private static String errors(ModeStats s) {
        return s.errors.isEmpty() ? "0" : s.errorCount() + " " + s.errors;
    }

    private static String selfCpu(ModeStats s) {
        return String.format(Locale.ROOT, "%.0f (%.0f, %.0f)", s.selfSchedNanos / 1e6, s.clientLoopNanos / 1e6,
                s.upstreamLoopNanos / 1e6);
    }

    private static String waits(ModeStats s, boolean gateway) {
        return String.format(Locale.ROOT, "%.0f", s.selfWaitNanos / 1e6)
                + (gateway ? String.format(Locale.ROOT, "; %.0f", s.gatewayWaitNanos / 1e6) : "");
    }

    private static String mib(long kb) {
        return kb < 0 ? "?" : String.format(Locale.ROOT, "%.0f", kb / 1024.0);
    }

    private static String pct(double share) {
        return Double.isNaN(share) ? "?" : String.format(Locale.ROOT, "%.0f %%", share * 100);
    }

    private static String signed(double v) {
        return Double.isNaN(v) ? "?" : (v >= 0 ? "+" : "") + num(v);
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "?";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
    }
}
