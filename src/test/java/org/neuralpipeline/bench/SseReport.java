package org.neuralpipeline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the JMH JSON of {@link SseParserBenchmark} into the Markdown table of docs/BENCHMARKS.md and
 * checks the targets. {@code scripts/bench.sh sse} runs it after the benchmark; run it alone with
 * {@code scripts/bench.sh sse-table target/jmh/sse-….json}. MB is 10^6 bytes.
 */
public final class SseReport {
    private record Row(String parser, String corpus, int chunk, double mbps, double mbpsError, double eventsPerSecond,
            double cpuThreadMbps, double cpuProcessMbps, double threadUtil, double allocPerEvent) {
    }

    private SseReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: SseReport <jmh-result.json>");
            System.exit(2);
        }
        JsonNode results = new ObjectMapper().readTree(new File(args[0]));
        List<Row> rows = new ArrayList<>();
        for (JsonNode r : results) {
            String benchmark = r.path("benchmark").asText();
            if (!benchmark.startsWith(SseParserBenchmark.class.getName() + ".")) {
                continue;
            }
            Map<String, JsonNode> secondary = new HashMap<>();
            r.path("secondaryMetrics").properties()
                    .forEach(e -> secondary.put(e.getKey().replace("·", ""), e.getValue()));
            double opsPerSecond = r.path("primaryMetric").path("score").asDouble();
            double eventsPerSecond = score(secondary, "events");
            double allocPerOp = score(secondary, "gc.alloc.rate.norm");
            rows.add(new Row(benchmark.substring(benchmark.lastIndexOf('.') + 1),
                    r.path("params").path("corpus").asText(), r.path("params").path("chunk").asInt(),
                    score(secondary, "bytes") / 1e6, secondary.get("bytes").path("scoreError").asDouble() / 1e6,
                    eventsPerSecond, score(secondary, "cpu.thread.MBps"), score(secondary, "cpu.process.MBps"),
                    score(secondary, "cpu.thread.util"), allocPerOp / (eventsPerSecond / opsPerSecond)));
        }
        rows.sort(Comparator.comparing((Row x) -> x.corpus().equals("openai") ? 0 : 1)
                .thenComparing(x -> -x.chunk()).thenComparing(x -> x.parser().equals("ours") ? 0 : 1));

        Map<String, Double> ownPerEvent = new HashMap<>();
        for (Row row : rows) {
            ownPerEvent.computeIfAbsent(row.corpus(), name -> Corpus.named(name).ownBytesPerEvent());
        }
        JsonNode first = results.path(0);
        System.out.printf(Locale.ROOT,
                "JDK %s (%s), JVM args %s; %d fork(s) × %d × %s measurement after %d × %s warm-up%n%n",
                first.path("jdkVersion").asText(), first.path("vmName").asText(), first.path("jvmArgs"),
                first.path("forks").asInt(), first.path("measurementIterations").asInt(),
                first.path("measurementTime").asText(), first.path("warmupIterations").asInt(),
                first.path("warmupTime").asText());
        System.out.println("| Parser | Corpus | Chunk (B) | MB/s (wall) | events/s | MB/CPU-s (thread) "
                + "| MB/CPU-s (JVM) | thread CPU/wall | alloc B/event | event's own B | ours/OkHttp MB/s "
                + "| ours/OkHttp CPU |");
        System.out.println("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        List<String> verdicts = new ArrayList<>();
        for (Row row : rows) {
            Row okhttp = row.parser().equals("ours") ? find(rows, "okhttp", row.corpus(), row.chunk()) : null;
            String ratio = okhttp == null ? "" : String.format(Locale.ROOT, "%.2f×", row.mbps() / okhttp.mbps());
            String cpuRatio = okhttp == null ? ""
                    : String.format(Locale.ROOT, "%.2f×", row.cpuThreadMbps() / okhttp.cpuThreadMbps());
            System.out.printf(Locale.ROOT,
                    "| %s | %s | %d | %,.0f ± %,.0f | %,.0f | %,.0f | %,.0f | %.2f | %.1f | %.1f | %s | %s |%n",
                    row.parser().equals("ours") ? "ours" : "OkHttp", row.corpus(), row.chunk(), row.mbps(),
                    row.mbpsError(), row.eventsPerSecond(), row.cpuThreadMbps(), row.cpuProcessMbps(),
                    row.threadUtil(), row.allocPerEvent(), ownPerEvent.get(row.corpus()), ratio, cpuRatio);
            if (okhttp != null) {
                String where = row.corpus() + ", " + row.chunk() + "-byte chunks";
                verdicts.add(verdict(row.mbps() >= 2 * okhttp.mbps(), String.format(Locale.ROOT,
                        ">= 2× OkHttp MB/s, %s: %.2f× wall (%.2f× thread CPU)", where, row.mbps() / okhttp.mbps(),
                        row.cpuThreadMbps() / okhttp.cpuThreadMbps())));
                if (row.corpus().equals("openai") && row.chunk() == 8192) {
                    verdicts.add(verdict(row.mbps() >= 1000, String.format(Locale.ROOT,
                            ">= 1000 MB/s, %s: %,.0f MB/s wall (%,.0f MB per thread CPU-second)", where, row.mbps(),
                            row.cpuThreadMbps())));
                }
                double own = ownPerEvent.get(row.corpus());
                verdicts.add(verdict(row.allocPerEvent() <= own, String.format(Locale.ROOT,
                        "no allocation beyond the event's own objects, %s: %.1f B/event allocated, %.1f B/event own",
                        where, row.allocPerEvent(), own)));
            }
        }
        System.out.println();
        verdicts.forEach(v -> System.out.println("- " + v));
    }

    private static double score(Map<String, JsonNode> secondary, String name) {
        JsonNode metric = secondary.get(name);
        return metric == null ? Double.NaN : metric.path("score").asDouble();
    }

    private static Row find(List<Row> rows, String parser, String corpus, int chunk) {
        return rows.stream().filter(r -> r.parser().equals(parser) && r.corpus().equals(corpus) && r.chunk() == chunk)
                .findFirst().orElse(null);
    }

    private static String verdict(boolean met, String what) {
        return (met ? "**met**: " : "**missed**: ") + what;
    }
}
