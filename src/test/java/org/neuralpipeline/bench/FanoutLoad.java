package org.neuralpipeline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.neuralpipeline.bench.FanoutViewers.SlowViewer;
import org.neuralpipeline.bench.FanoutViewers.Viewer;

/**
 * Fan-out benchmark of the broadcast hub (docs/BENCHMARKS.md, "Broadcast fan-out"): the real service in its own
 * process, N WebSocket viewers and a fixed-rate publisher in this one. Run by {@code scripts/bench-fanout.sh}.
 *
 * <p>Each scenario gets a fresh server. Viewers connect, the publisher sends {@code rate} messages a second
 * through the ingest socket, and after a warm-up a window of {@code steady} seconds is measured: server CPU
 * ({@code /proc/<pid>/stat}) and deliveries ({@code /metrics}) at both ends of the window give CPU per delivered
 * message; viewers count the window's messages and time each one; this process's CPU and the machine's idle
 * share say how much of the machine the measurement itself took. After the window the publisher keeps going
 * until every viewer has seen the window's last message (or a timeout), so late messages count as late, not
 * lost.
 *
 * <p>Viewers: {@link FanoutRawViewers} (NIO, the default) or {@code --client vertx} ({@link FanoutVertxViewers});
 * {@code --client-poll-us} trades up to that much latency over-statement for fewer wake-ups of the viewer thread.
 * The tool's own CPU per received frame is reported, whole and for the viewer threads alone.
 *
 * <p>Scenarios: {@code v100}, {@code v1000}, {@code v5000} (viewers at 100 messages/s), {@code v5000-r50}
 * (5,000 at 50/s), {@code v1000-slow50} (1,000 healthy viewers plus 50 that never read), {@code churn}
 * (10,000 connect/disconnect cycles in bursts of 500 while messages flow), {@code ingest-socket} and
 * {@code ingest-http} (no viewer, 2,000 messages/s: what ingest, encoding and the replay ring cost per message).
 */
public final class FanoutLoad {
    private static final String DELIVERIES = "neural_pipeline_broadcast_deliveries_total";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    enum Kind { FANOUT, CHURN }

    /** One scenario: {@code viewers} healthy WebSocket viewers plus {@code slow} that never read. */
    record Scenario(String name, Kind kind, int viewers, int slow, double rate,
            FanoutPublisher.Transport transport, int batch, int cycles, int burst) {
    }

    /**
     * A fan-out scenario's measurements over the window (drops also over the whole run). Latency in µs, memory in
     * kB (heap and direct memory in bytes), CPU in ms.
     */
    record FanoutResult(String name, int viewers, int slow, double rate, String ingest, int batch,
            double windowSeconds, long windowMessages,
            long p50, long p99, long p999, long max,
            long expectedPerViewer, long deliveredHealthy, long expectedHealthy, int viewersShort,
            long minDelivered, long viewerGaps, long viewerGapsRun, long droppedNotices, long droppedCount,
            int healthyClosed, Map<String, Double> serverDropped, Map<String, Double> serverDroppedRun,
            double serverDeliveries, double deliveriesPerSecond,
            double serverCpuMs, double serverUserMs, double serverSystemMs, double cpuMicrosPerDelivery,
            double cpuMicrosPerMessage, double idleCpuMsPerSecond, double writeCallsPerDelivery,
            Map<String, Long> serverThreadsMs, Map<String, Long> clientThreadsMs,
            long rssBeforeKb, long rssConnectedKb, long rssAfterKb, long rssPeakKb,
            long heapConnected, long heapEnd, long heapCommitted, long fdsBefore, long fdsAfter,
            String client, double clientCpuMs, double clientMicrosPerFrame, double viewerThreadsCpuMs,
            double viewerMicrosPerFrame, double idleShare, String loadBefore,
            String loadAfter, long publisherLagP99, long publisherLagMax, long ingestSent, long ingestAccepted,
            long ingestRejected,
            double queuedAtEnd, double queueDepthMax, int slowOpen, long serverLogProblems) {
    }

    /** The churn scenario's measurements. */
    record ChurnResult(String name, int cycles, int burst, double seconds, long handshakeP50, long handshakeP99,
            long handshakeMax, long failures, long fdsBaseline, long fdsAfter, long rssBaselineKb,
            long rssAfterKb, long heapBaseline, long heapAfter, double viewersAfter, double idleShare,
            double serverCpuMs, double clientCpuMs, String loadBefore, String loadAfter) {
    }

    private final Path java;
    private final Path jar;
    private final Path out;
    private final List<String> serverJvmOptions;
    private final int warmup;
    private final int steady;
    private final Vertx vertx;
    private final int clientThreads;
    private final FanoutViewers.Client client;
    private final long clientPollMicros;
    private final long self = ProcessHandle.current().pid();

    private FanoutLoad(Path java, Path jar, Path out, List<String> serverJvmOptions, int warmup, int steady,
            int clientThreads, FanoutViewers.Client client, long clientPollMicros) {
        this.java = java;
        this.jar = jar;
        this.out = out;
        this.serverJvmOptions = serverJvmOptions;
        this.warmup = warmup;
        this.steady = steady;
        this.clientThreads = clientThreads;
        this.client = client;
        this.clientPollMicros = clientPollMicros;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(clientThreads));
    }

    static List<Scenario> scenarios(double scale) {
        int s1 = (int) Math.max(1, Math.round(100 * scale));
        int s2 = (int) Math.max(1, Math.round(1_000 * scale));
        int s3 = (int) Math.max(1, Math.round(5_000 * scale));
        int slow = (int) Math.max(1, Math.round(50 * scale));
        int cycles = (int) Math.max(10, Math.round(10_000 * scale));
        int burst = (int) Math.max(5, Math.round(500 * scale));
        var socket = FanoutPublisher.Transport.SOCKET;
        return List.of(
                new Scenario("v100", Kind.FANOUT, s1, 0, 100, socket, 1, 0, 0),
                new Scenario("v1000", Kind.FANOUT, s2, 0, 100, socket, 1, 0, 0),
                new Scenario("v1000-slow50", Kind.FANOUT, s2, slow, 100, socket, 1, 0, 0),
                new Scenario("v5000-r50", Kind.FANOUT, s3, 0, 50, socket, 1, 0, 0),
                new Scenario("v5000", Kind.FANOUT, s3, 0, 100, socket, 1, 0, 0),
                new Scenario("churn", Kind.CHURN, 0, 0, 100, socket, 1, cycles, burst),
                // no viewer: what ingest, encoding and the replay ring cost per message
                new Scenario("ingest-socket", Kind.FANOUT, 0, 0, 2_000, socket, 1, 0, 0),
                new Scenario("ingest-http", Kind.FANOUT, 0, 0, 2_000, FanoutPublisher.Transport.HTTP, 20, 0, 0));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                usage("unexpected argument: " + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        Path java = Path.of(options.getOrDefault("java", ProcessHandle.current().info().command().orElse("java")));
        Path jar = Path.of(options.getOrDefault("jar", "target/neural-pipeline.jar"));
        Path out = Path.of(options.getOrDefault("out", "target/bench/fanout"));
        double scale = Double.parseDouble(options.getOrDefault("scale", "1"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "10"));
        int steady = Integer.parseInt(options.getOrDefault("steady", "20"));
        FanoutViewers.Client client = FanoutViewers.Client.parse(options.getOrDefault("client", "raw"));
        int clientThreads = Integer.parseInt(options.getOrDefault("client-threads",
                client == FanoutViewers.Client.RAW ? "1" : "2"));
        long clientPollMicros = Long.parseLong(options.getOrDefault("client-poll-us", "0"));
        List<String> jvm = options.getOrDefault("server-jvm-opts", "").isBlank() ? List.of()
                : List.of(options.get("server-jvm-opts").trim().split("\\s+"));
        List<Scenario> all = scenarios(scale);
        List<Scenario> chosen = all;
        if (options.containsKey("scenarios")) {
            List<String> names = List.of(options.get("scenarios").split(","));
            chosen = all.stream().filter(s -> names.contains(s.name())).toList();
            if (chosen.size() != names.size()) {
                usage("--scenarios: " + options.get("scenarios") + " (expected some of: "
                        + all.stream().map(Scenario::name).toList() + ")");
            }
        }
        if (!Files.isRegularFile(jar)) {
            usage("--jar: " + jar + " does not exist (build with mvn -Pbench -DskipTests package)");
        }
        Files.createDirectories(out);
        FanoutLoad load = new FanoutLoad(java, jar, out, jvm, warmup, steady, clientThreads, client, clientPollMicros);
        try {
            load.run(chosen);
        } finally {
            load.vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        System.exit(0); // the JDK HTTP client's selector threads are not daemons
    }

    private static void usage(String problem) {
        System.err.println("fanout: " + problem);
        System.err.println("usage: FanoutLoad [--java PATH] [--jar PATH] [--out DIR] [--scenarios a,b] [--scale F]"
                + " [--warmup S] [--steady S] [--client raw|vertx] [--client-threads N] [--client-poll-us U]"
                + " [--server-jvm-opts 'OPTS']");
        System.exit(2);
    }

    private void run(List<Scenario> scenarios) throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        List<Object> results = new ArrayList<>();
        report.put("results", results);
        long started = System.nanoTime();
        for (Scenario s : scenarios) {
            log("%s: %d viewers%s, %.0f messages/s via %s, load %s", s.name(), s.viewers(),
                    s.slow() > 0 ? " + " + s.slow() + " never reading" : "", s.rate(),
                    s.transport().name().toLowerCase(Locale.ROOT), ProcStats.loadAverage());
            Object r = s.kind() == Kind.CHURN ? churn(s) : fanOut(s);
            results.add(r);
            log("%s: %s", s.name(), r);
            Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(report));
        }
        report.put("total_seconds", (System.nanoTime() - started) / 1e9);
        Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(report));
        String markdown = FanoutReport.markdown(report, results);
        Files.writeString(out.resolve("results.md"), markdown);
        System.out.println(markdown);
    }

    private Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("cpu", ProcStats.cpuModel());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        m.put("memory_mb", ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() >> 20);
        m.put("server_jvm_options", serverJvmOptions);
        m.put("warmup_seconds", warmup);
        m.put("steady_seconds", steady);
        m.put("client", client.name().toLowerCase(Locale.ROOT));
        m.put("client_threads", clientThreads);
        m.put("client_poll_us", clientPollMicros);
        return m;
    }

    private FanoutServer server(Scenario s) throws IOException, InterruptedException {
        List<String> jvm = serverJvmOptions.stream().map(o -> o.replace("{scenario}", s.name())).toList();
        return FanoutServer.start(java, jar, jvm, Map.of(), out, s.name());
    }

    /** What is read at either end of a measured interval. */
    private record Snapshot(long nanos, long cpuMs, long[] userSystemMs, long writeCalls, Map<String, Long> threads,
            long clientMs,
            Map<String, Long> clientThreads, long[] machine, String load, Map<String, Double> metrics) {
    }

    private Snapshot snapshot(FanoutServer server) throws IOException, InterruptedException {
        long pid = server.pid();
        return new Snapshot(System.nanoTime(), ProcStats.cpuMillis(pid), ProcStats.userSystemMillis(pid),
                ProcStats.writeCalls(pid), ProcStats.cpuMillisByThread(pid), ProcStats.cpuMillis(self), ProcStats.cpuMillisByThread(self),
                ProcStats.machine(), ProcStats.loadAverage(), server.metrics());
    }

    /** Server CPU, in ms per second, with the viewers connected and nothing published. */
    private static final int IDLE_SECONDS = 3;

    private FanoutResult fanOut(Scenario s) throws Exception {
        try (FanoutServer server = server(s)) {
            long pid = server.pid();
            long rssBefore = ProcStats.statusKb(pid, "VmRSS");
            long fdsBefore = ProcStats.openFiles(pid);
            FanoutViewers viewers = FanoutViewers.create(client, vertx, clientThreads, clientPollMicros,
                    server.port(), Math.max(100, s.viewers() + 100));
            List<SlowViewer> slow = new ArrayList<>();
            FanoutPublisher publisher = null;
            try {
                long failed = viewers.connect(s.viewers(), 500);
                if (failed > 0) {
                    throw new IOException(failed + " of " + s.viewers() + " viewers could not connect; server log: "
                            + server.log());
                }
                for (int i = 0; i < s.slow(); i++) {
                    slow.add(new SlowViewer(server.port(), 4096));
                }
                long heapConnected = server.heapAfterGc();
                long rssConnected = ProcStats.statusKb(pid, "VmRSS");
                Snapshot idle0 = snapshot(server);
                Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
                Snapshot idle1 = snapshot(server);
                double idleCpu = (idle1.cpuMs() - idle0.cpuMs()) / ((idle1.nanos() - idle0.nanos()) / 1e9);

                long windowStart = Math.round(warmup * s.rate());
                long windowEnd = windowStart + Math.round(steady * s.rate());
                viewers.window(windowStart, windowEnd);
                publisher = new FanoutPublisher(s.transport(), server.socket(), server.port(), s.rate(), s.batch(),
                        FanoutReport.MESSAGE_BYTES).start();

                publisher.awaitSent(windowStart);
                ProcStats.resetPeakRss(pid);
                Snapshot a = snapshot(server);
                long receivedA = received(viewers.all());
                long[] ioA = viewers.wakeupsAndReads();
                long rssPeak = ProcStats.statusKb(pid, "VmRSS");
                while (publisher.sent() < windowEnd) {
                    if (publisher.failure() != null || !server.alive()) {
                        throw new IOException("publisher: " + publisher.failure() + ", server alive: "
                                + server.alive() + "; " + server.logTail(10));
                    }
                    rssPeak = Math.max(rssPeak, ProcStats.statusKb(pid, "VmRSS"));
                    Thread.sleep(200);
                }
                Snapshot b = snapshot(server);
                long frames = received(viewers.all()) - receivedA;
                long[] ioB = viewers.wakeupsAndReads();
                if (ioA != null && frames > 0) {
                    log("%s: viewers received %.2f frames per read, %.2f per wake-up", s.name(),
                            frames / (double) (ioB[1] - ioA[1]), frames / (double) (ioB[0] - ioA[0]));
                }
                long rssAfter = ProcStats.statusKb(pid, "VmRSS");
                rssPeak = Math.max(rssPeak, Math.max(rssAfter, ProcStats.statusKb(pid, "VmHWM")));
                long fdsAfter = ProcStats.openFiles(pid);

                // the window's last messages may still be on their way: wait for them (the publisher goes on)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (System.nanoTime() < deadline && !allSeen(viewers.all(), windowEnd - 1)) {
                    Thread.sleep(50);
                }
                // what the viewers' queues (slow ones full) and the replay ring hold, with messages still flowing
                long heapEnd = server.heapAfterGc();
                publisher.close();
                Map<String, Double> end = server.metrics();

                double seconds = (b.nanos() - a.nanos()) / 1e9;
                long expected = windowEnd - windowStart;
                long delivered = 0;
                long min = Long.MAX_VALUE;
                int shortViewers = 0;
                long gaps = 0;
                long gapsRun = 0;
                long notices = 0;
                long droppedCount = 0;
                int closed = 0;
                for (Viewer v : viewers.all()) {
                    delivered += v.inWindow;
                    min = Math.min(min, v.inWindow);
                    shortViewers += v.inWindow < expected ? 1 : 0;
                    gaps += v.gapsInWindow;
                    gapsRun += v.gaps;
                    notices += v.droppedNotices;
                    droppedCount += v.droppedCount;
                    closed += v.closed ? 1 : 0;
                }
                double deliveries = FanoutServer.sum(b.metrics(), DELIVERIES)
                        - FanoutServer.sum(a.metrics(), DELIVERIES);
                long cpu = b.cpuMs() - a.cpuMs();
                long client = b.clientMs() - a.clientMs();
                Histogram lat = viewers.latency();
                Map<String, Long> clientByThread = difference(a.clientThreads(), b.clientThreads());
                long viewerMs = clientByThread.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(viewers.threadPrefix())).mapToLong(Map.Entry::getValue)
                        .sum();
                Histogram lag = publisher.lagMicros();
                long published = windowEnd - windowStart;
                return new FanoutResult(s.name(), s.viewers(), s.slow(), s.rate(),
                        s.transport().name().toLowerCase(Locale.ROOT), s.batch(), seconds, expected,
                        lat.getValueAtPercentile(50), lat.getValueAtPercentile(99), lat.getValueAtPercentile(99.9),
                        lat.getMaxValue(), expected, delivered, expected * viewers.all().size(), shortViewers,
                        min == Long.MAX_VALUE ? 0 : min, gaps, gapsRun, notices, droppedCount, closed,
                        drops(a.metrics(), b.metrics()), drops(idle1.metrics(), end), deliveries,
                        deliveries / seconds, cpu, b.userSystemMs()[0] - a.userSystemMs()[0],
                        b.userSystemMs()[1] - a.userSystemMs()[1],
                        deliveries > 0 ? cpu * 1000.0 / deliveries : Double.NaN, cpu * 1000.0 / published, idleCpu,
                        deliveries > 0 ? (b.writeCalls() - a.writeCalls()) / deliveries : Double.NaN,
                        difference(a.threads(), b.threads()), clientByThread,
                        rssBefore, rssConnected, rssAfter, rssPeak, heapConnected, heapEnd,
                        (long) FanoutServer.sum(b.metrics(), "jvm_memory_committed_bytes", "area=\"heap\""),
                        fdsBefore, fdsAfter, this.client.name().toLowerCase(Locale.ROOT), client,
                        frames > 0 ? client * 1000.0 / frames : Double.NaN, viewerMs,
                        frames > 0 ? viewerMs * 1000.0 / frames : Double.NaN,
                        ProcStats.idleShare(a.machine(), b.machine()), a.load(), b.load(),
                        lag.getValueAtPercentile(99), lag.getMaxValue(), publisher.sent(), publisher.accepted(),
                        publisher.rejected(),
                        FanoutServer.sum(b.metrics(), "neural_pipeline_broadcast_queued_messages"),
                        FanoutServer.sum(end, "neural_pipeline_broadcast_queue_depth_max"),
                        (int) slow.stream().filter(SlowViewer::open).count(), server.logProblems());
            } finally {
                if (publisher != null) {
                    publisher.close();
                }
                for (SlowViewer v : slow) {
                    v.close();
                }
                viewers.close();
            }
        }
    }

    /** CPU ms per thread between two readings; threads that used none left out. */
    private static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> used = new TreeMap<>();
        after.forEach((name, ms) -> {
            long d = ms - before.getOrDefault(name, 0L);
            if (d > 0) {
                used.put(name, d);
            }
        });
        return used;
    }

    /** {@code neural_pipeline_broadcast_dropped_total} by reason, between two scrapes; reasons with none left out. */
    private static Map<String, Double> drops(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> dropped = new TreeMap<>();
        for (String reason : List.of("slow_viewer", "queue_full", "viewer_closed", "hub_overloaded", "replay_window",
                "encode_error")) {
            String label = "reason=\"" + reason + "\"";
            double d = FanoutServer.sum(after, "neural_pipeline_broadcast_dropped_total", label)
                    - FanoutServer.sum(before, "neural_pipeline_broadcast_dropped_total", label);
            if (d > 0) {
                dropped.put(reason, d);
            }
        }
        return dropped;
    }

    /** Numbered messages the viewers have received so far (read at both ends of the window: frames in it). */
    private static long received(List<Viewer> viewers) {
        long n = 0;
        for (Viewer v : viewers) {
            n += v.received;
        }
        return n;
    }

    private static boolean allSeen(List<Viewer> viewers, long last) {
        for (Viewer v : viewers) {
            if (!v.closed && v.lastN < last) {
                return false;
            }
        }
        return true;
    }

    private ChurnResult churn(Scenario s) throws Exception {
        try (FanoutServer server = server(s)) {
            long pid = server.pid();
            FanoutViewers viewers = FanoutViewers.create(client, vertx, clientThreads, clientPollMicros,
                    server.port(), s.burst() + 100);
            try (FanoutPublisher publisher = new FanoutPublisher(s.transport(), server.socket(), server.port(),
                    s.rate(), 1, 250).start()) {
                viewers.churn(s.burst(), s.burst()); // warm-up: classes, pools, JIT on both sides
                awaitNoViewers(server);
                long heap0 = server.heapAfterGc();
                long fds0 = ProcStats.openFiles(pid);
                long rss0 = ProcStats.statusKb(pid, "VmRSS");
                viewers.resetHandshakes();

                String loadBefore = ProcStats.loadAverage();
                long cpu0 = ProcStats.cpuMillis(pid);
                long client0 = ProcStats.cpuMillis(self);
                long[] machine0 = ProcStats.machine();
                long t0 = System.nanoTime();
                long failures = viewers.churn(s.cycles(), s.burst());
                double seconds = (System.nanoTime() - t0) / 1e9;
                long cpu1 = ProcStats.cpuMillis(pid);
                long client1 = ProcStats.cpuMillis(self);
                long[] machine1 = ProcStats.machine();
                String loadAfter = ProcStats.loadAverage();

                double left = awaitNoViewers(server);
                long heap1 = server.heapAfterGc();
                long fds1 = ProcStats.openFiles(pid);
                long rss1 = ProcStats.statusKb(pid, "VmRSS");
                Histogram h = viewers.handshakes();
                return new ChurnResult(s.name(), s.cycles(), s.burst(), seconds, h.getValueAtPercentile(50),
                        h.getValueAtPercentile(99), h.getMaxValue(), failures, fds0, fds1, rss0, rss1, heap0, heap1,
                        left, ProcStats.idleShare(machine0, machine1), cpu1 - cpu0, client1 - client0,
                        loadBefore, loadAfter);
            } finally {
                viewers.close();
            }
        }
    }

    /** Waits (up to 30 s) until the server counts no viewer; returns the count it last reported. */
    private static double awaitNoViewers(FanoutServer server) throws IOException, InterruptedException {
        double n = Double.NaN;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            n = FanoutServer.sum(server.metrics(), "neural_pipeline_broadcast_viewers");
            if (n == 0) {
                break;
            }
            Thread.sleep(100);
        }
        return n;
    }

    static void log(String format, Object... args) {
        System.err.println("fanout: " + String.format(Locale.ROOT, format, args));
    }
}
