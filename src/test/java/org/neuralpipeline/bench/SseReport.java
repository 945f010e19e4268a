package org.neuralpipeline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the JMH JSON of {@link SseParserBenchmark} and {@link StringFloorBenchmark} into the Markdown
 * table of docs/BENCHMARKS.md and checks the targets. {@code scripts/bench.sh sse} runs it after the
 * benchmarks; run it alone with {@code scripts/bench.sh sse-table target/jmh/sse-….json}. MB is 10^6
 * bytes; allocation per event is JMH's {@code gc.alloc.rate.norm} (bytes per operation) divided by the
 * events per operation.
 */
public final class SseReport {
    private static final String OURS = "ours";
    private static final String OKHTTP = "okhttp";
    private static final String FLOOR = "strings";

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
            if (benchmark.startsWith(SseParserBenchmark.class.getName() + ".")
                    || benchmark.startsWith(StringFloorBenchmark.class.getName() + ".")) {
                rows.add(row(r, benchmark.substring(benchmark.lastIndexOf('.') + 1)));
            }
        }
        rows.sort(Comparator.comparing((Row x) -> x.corpus().equals("openai") ? 0 : 1)
                .thenComparing(x -> -x.chunk()).thenComparing(x -> x.parser().equals(OURS) ? 0 : 1));
        Map<String, Double> ownPerEvent = new HashMap<>();
        Map<String, Double> typeAndIdPerEvent = new HashMap<>();
        List<String> corpusLines = new ArrayList<>();
        for (Row row : rows) {
            if (!ownPerEvent.containsKey(row.corpus())) {
                Corpus c = Corpus.named(row.corpus());
                ownPerEvent.put(c.name(), c.ownBytesPerEvent());
                typeAndIdPerEvent.put(c.name(), c.typeAndIdBytesPerEvent());
                corpusLines.add(corpusLine(c));
            }
        }

        System.out.println("| Corpus | Bytes | Events | Bytes/event | Events whose data is ASCII / Latin-1 / UTF-16 "
                + "| Data bytes in UTF-16 strings | Event's own heap B/event |");
        System.out.println("|---|--:|--:|--:|--:|--:|--:|");
        corpusLines.forEach(System.out::println);
        System.out.println();
        JsonNode first = results.path(0);
        System.out.printf(Locale.ROOT,
                "JDK %s (%s), JVM args %s; %d fork(s) × %d × %s measurement after %d × %s warm-up%n%n",
                first.path("jdkVersion").asText(), first.path("vmName").asText(), first.path("jvmArgs"),
                first.path("forks").asInt(), first.path("measurementIterations").asInt(),
                first.path("measurementTime").asText(), first.path("warmupIterations").asInt(),
                first.path("warmupTime").asText());
        System.out.println("| Parser | Corpus | Chunk (B) | MB/s (wall) | events/s | MB/CPU-s (thread) "
                + "| MB/CPU-s (JVM) | thread CPU/wall | alloc B/event | event's own B/event | ours/OkHttp MB/s "
                + "| ours/OkHttp MB/CPU-s |");
        System.out.println("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (Row row : rows) {
            Row okhttp = row.parser().equals(OURS) ? find(rows, OKHTTP, row.corpus(), row.chunk()) : null;
            System.out.printf(Locale.ROOT,
                    "| %s | %s | %s | %,.0f%s | %,.0f | %,.0f | %,.0f | %.2f | %.1f | %.1f | %s | %s |%n",
                    switch (row.parser()) {
                        case OURS -> "ours";
                        case OKHTTP -> "OkHttp";
                        default -> "floor: strings only";
                    },
                    row.corpus(), row.chunk() == 0 ? "–" : Integer.toString(row.chunk()), row.mbps(),
                    Double.isNaN(row.mbpsError()) ? "" : String.format(Locale.ROOT, " ± %,.0f", row.mbpsError()),
                    row.eventsPerSecond(), row.cpuThreadMbps(), row.cpuProcessMbps(), row.threadUtil(),
                    row.allocPerEvent(), ownPerEvent.get(row.corpus()),
                    okhttp == null ? "" : String.format(Locale.ROOT, "%.2f×", row.mbps() / okhttp.mbps()),
                    okhttp == null ? ""
                            : String.format(Locale.ROOT, "%.2f×", row.cpuThreadMbps() / okhttp.cpuThreadMbps()));
        }

        System.out.println();
        for (Row row : rows) {
            Row okhttp = row.parser().equals(OURS) ? find(rows, OKHTTP, row.corpus(), row.chunk()) : null;
            if (okhttp == null) {
                continue;
            }
            String where = row.corpus() + ", " + row.chunk() + "-byte chunks";
            verdict(row.mbps() >= 2 * okhttp.mbps(), String.format(Locale.ROOT,
                    ">= 2× OkHttp's MB/s, %s: %.2f× wall-clock (%.2f× per thread CPU-second)", where,
                    row.mbps() / okhttp.mbps(), row.cpuThreadMbps() / okhttp.cpuThreadMbps()));
            if (row.corpus().equals("openai") && row.chunk() == 8192) {
                verdict(row.mbps() >= 1000, String.format(Locale.ROOT,
                        ">= 1000 MB/s, %s: %,.0f MB/s wall-clock (%,.0f MB per thread CPU-second)", where,
                        row.mbps(), row.cpuThreadMbps()));
            }
            Row floor = find(rows, FLOOR, row.corpus(), 0);
            double own = ownPerEvent.get(row.corpus());
            verdict(row.allocPerEvent() <= own, String.format(Locale.ROOT,
                    "no allocation per event beyond the event's own objects, %s: %.1f B/event allocated, %.1f own%s",
                    where, row.allocPerEvent(), own, floor == null ? "" : String.format(Locale.ROOT,
                            "; making just the data strings and events allocates %.1f (floor), so the parser adds %.1f"
                            + " (the stream's own type and id strings: %.1f)", floor.allocPerEvent(),
                            Math.round(10 * (row.allocPerEvent() - floor.allocPerEvent())) / 10.0 + 0.0,
                            typeAndIdPerEvent.get(row.corpus()))));
        }
    }

    /** One row of the corpus table: sizes and how much of the data Java must store as UTF-16. */
    private static String corpusLine(Corpus c) {
        int[] kinds = new int[3];
        long utf16Bytes = 0;
        int start = 0;
        for (int end : c.dataEnds()) {
            String s = new String(c.data(), start, end - start, StandardCharsets.UTF_8);
            int kind = s.chars().allMatch(ch -> ch < 0x80) ? 0 : s.chars().allMatch(ch -> ch <= 0xFF) ? 1 : 2;
            kinds[kind]++;
            utf16Bytes += kind == 2 ? end - start : 0;
            start = end;
        }
        return String.format(Locale.ROOT, "| %s | %,d | %,d | %.1f | %.1f %% / %.1f %% / %.1f %% | %.1f %% | %.1f |",
                c.name(), c.bytes().length, c.events(), (double) c.bytes().length / c.events(),
                100.0 * kinds[0] / c.events(), 100.0 * kinds[1] / c.events(), 100.0 * kinds[2] / c.events(),
                100.0 * utf16Bytes / start, c.ownBytesPerEvent());
    }

    private static Row row(JsonNode r, String parser) {
        Map<String, JsonNode> secondary = new HashMap<>();
        r.path("secondaryMetrics").properties().forEach(e -> secondary.put(e.getKey().replace("·", ""), e.getValue()));
        double opsPerSecond = r.path("primaryMetric").path("score").asDouble();
        double eventsPerSecond = score(secondary, "events");
        return new Row(parser, r.path("params").path("corpus").asText(), r.path("params").path("chunk").asInt(0),
                score(secondary, "bytes") / 1e6, secondary.get("bytes").path("scoreError").asDouble() / 1e6,
                eventsPerSecond, score(secondary, "cpu.thread.MBps"), score(secondary, "cpu.process.MBps"),
                score(secondary, "cpu.thread.util"),
                score(secondary, "gc.alloc.rate.norm") / (eventsPerSecond / opsPerSecond));
    }

    private static double score(Map<String, JsonNode> secondary, String name) {
        JsonNode metric = secondary.get(name);
        return metric == null ? Double.NaN : metric.path("score").asDouble();
    }

    private static Row find(List<Row> rows, String parser, String corpus, int chunk) {
        return rows.stream().filter(r -> r.parser().equals(parser) && r.corpus().equals(corpus) && r.chunk() == chunk)
                .findFirst().orElse(null);
    }

    private static void verdict(boolean met, String what) {
        System.out.println("- " + (met ? "**met**: " : "**missed**: ") + what);
    }
}
