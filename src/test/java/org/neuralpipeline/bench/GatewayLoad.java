package org.neuralpipeline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gateway load tool: what the gateway adds to time-to-first-token and to each streamed chunk.
 *
 * <p>One process holds a {@link SyntheticUpstream} and a {@link LoadClient}; the gateway runs as a
 * separate process ({@link GatewayProcess}) in front of that upstream. Each scenario runs its rounds
 * twice, DIRECT (client → upstream) and VIA GATEWAY (client → gateway → the same upstream), alternating
 * the order round by round so that a change in the shared machine's load hits both modes alike. Chunk
 * latency is the upstream's write time to the client's read time of the same chunk, both on this
 * process's monotonic clock. The added cost is the via-gateway percentile minus the direct percentile.
 *
 * <p>Run it with {@code scripts/bench-gateway.sh}; options are listed in {@link #usage()}. Results: a
 * Markdown table on stdout and JSON under {@code target/bench/}. See docs/BENCHMARKS.md, "Gateway".
 */
public final class GatewayLoad {
    enum Mode { DIRECT, GATEWAY }

    /** NaN: no target. */
    record Targets(double addedTtftP50Ms, double addedTtftP99Ms, double addedChunkP99Ms, boolean noErrors,
            double gatewayCpuMsPer1k) {
    }

    record Scenario(String key, String title, LoadClient.Round round, int rounds, Targets targets) {
    }

    private final Map<String, String> options;
    private final Path out;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long selfPid = ProcessHandle.current().pid();
    private SyntheticUpstream upstream;
    private LoadClient client;
    private GatewayProcess gateway;

    private GatewayLoad(Map<String, String> options) {
        this.options = options;
        this.out = Path.of(options.getOrDefault("out", "target/bench"));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options.containsKey("help")) {
            System.out.println(usage());
            return;
        }
        int status;
        try {
            status = new GatewayLoad(options).run();
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status); // whatever failed, no Vert.x thread may keep the JVM alive
    }

    static String usage() {
        return """
                GatewayLoad [options]
                  --mode both|direct        direct: no gateway (default both)
                  --jar PATH                gateway jar (default target/neural-pipeline.jar)
                  --java PATH               java for the gateway (default: this JVM's)
                  --nginx PATH              measure nginx (one process, unbuffered proxy) in the gateway's
                                            place, for scale (e.g. --nginx /usr/sbin/nginx)
                  --gateway-jvm-opts "..."  extra JVM options for the gateway (also $NP_JAVA_OPTS), e.g. JFR
                  --scenarios a,b,c         which scenarios (default a,b,c)
                  --repeat-a N              sequential streams in scenario a (default 50)
                  --rounds-b N, --rounds-c N rounds of scenarios b and c per mode (default 3, 2)
                  --streams-c N             concurrent streams in scenario c (default 1000)
                  --warmup-rounds N         least untimed warm-up rounds per mode (default 3); more follow
                                            until JIT threads use < 5 % of CPU (--warmup-max-rounds 20,
                                            --warmup-max-seconds 45)
                  --out DIR                 results folder (default target/bench)""";
    }

    private int run() throws Exception {
        boolean viaGateway = !"direct".equals(options.getOrDefault("mode", "both"));
        List<Scenario> scenarios = scenarios();
        int maxStreams = scenarios.stream().mapToInt(s -> s.round().streams()).max().orElse(1);
        long files = ProcStats.openFilesLimit();
        long needed = 4L * maxStreams + 256; // client and upstream sockets, both modes' pools
        if (files >= 0 && files < needed) {
            System.err.printf("warning: open-files limit %d < %d needed for %d streams; raise it (ulimit -n %d)%n",
                    files, needed, maxStreams, needed);
        }
        Files.createDirectories(out);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Map<String, Object> machine = machine(files);
        upstream = SyntheticUpstream.start(1);
        client = new LoadClient(maxStreams + 16);
        try {
            if (viaGateway && options.containsKey("nginx")) {
                gateway = GatewayProcess.startNginx(Path.of(options.get("nginx")), upstream.port(),
                        out.resolve("nginx-" + stamp), client, Duration.ofSeconds(30));
                log("nginx pid %d on port %d is ready; upstream on port %d", gateway.pid(), gateway.port(),
                        upstream.port());
                machine.put("gateway_command", String.join(" ", gateway.command()));
            } else if (viaGateway) {
                Path jar = Path.of(options.getOrDefault("jar", "target/neural-pipeline.jar"));
                Path java = Path.of(options.getOrDefault("java",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
                List<String> jvmOptions = jvmOptions();
                log("starting the gateway: %s %s -jar %s serve ... (log: %s)", java, String.join(" ", jvmOptions), jar,
                        out.resolve("gateway-" + stamp + ".log"));
                gateway = GatewayProcess.start(java, jar, jvmOptions, upstream.port(),
                        out.resolve("gateway-" + stamp + ".log"), client, Duration.ofSeconds(90));
                log("gateway pid %d on port %d is ready; upstream on port %d", gateway.pid(), gateway.port(),
                        upstream.port());
                machine.put("gateway_command", String.join(" ", gateway.command()));
            } else {
                log("direct mode only (no gateway); upstream on port %d", upstream.port());
            }
            warmUp(viaGateway, maxStreams, machine);
            Map<String, Map<Mode, ModeStats>> results = new LinkedHashMap<>();
            for (Scenario scenario : scenarios) {
                results.put(scenario.key(), runScenario(scenario, viaGateway));
            }
            String gatewayMetrics = null;
            if (viaGateway && !options.containsKey("nginx")) {
                gatewayMetrics = client.get(gateway.port(), "/metrics");
                if (gatewayMetrics != null) {
                    Files.writeString(out.resolve("gateway-metrics-" + stamp + ".txt"), gatewayMetrics);
                }
            }
            machine.put("load_average_after", ProcStats.loadAverage());
            LoadReport report = new LoadReport(scenarios, results, machine, viaGateway, gatewayMetrics);
            System.out.println();
            System.out.println(report.markdown());
            Path json = out.resolve("gateway-" + stamp + ".json");
            report.writeJson(json);
            Files.copy(json, out.resolve("gateway-latest.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            log("results: %s", json);
            return 0;
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log("closing %s: %s", closeable.getClass().getSimpleName(), e);
        }
    }

    private List<Scenario> scenarios() {
        int repeatA = Integer.parseInt(options.getOrDefault("repeat-a", "50"));
        int roundsB = Integer.parseInt(options.getOrDefault("rounds-b", "3"));
        int roundsC = Integer.parseInt(options.getOrDefault("rounds-c", "2"));
        int streamsC = Integer.parseInt(options.getOrDefault("streams-c", "1000"));
        double nan = Double.NaN;
        List<Scenario> all = List.of(
                new Scenario("a", "1 stream × 100 tokens @ 10 ms, " + repeatA + " in sequence",
                        new LoadClient.Round(1, 100, 10, 10, false), repeatA,
                        new Targets(1, nan, 1, false, 20)),
                new Scenario("b", "100 concurrent × 100 tokens @ 10 ms, " + roundsB + " rounds",
                        new LoadClient.Round(100, 100, 10, 10, true), roundsB,
                        new Targets(nan, 10, 2, false, 20)),
                new Scenario("c", streamsC + " concurrent × 20 tokens @ 50 ms, " + roundsC + " rounds",
                        new LoadClient.Round(streamsC, 20, 50, 50, true), roundsC,
                        new Targets(nan, nan, 10, true, 20)));
        List<String> wanted = Arrays.asList(options.getOrDefault("scenarios", "a,b,c").split(","));
        return all.stream().filter(s -> wanted.contains(s.key())).toList();
    }

    private List<String> jvmOptions() {
        String opts = options.getOrDefault("gateway-jvm-opts", System.getenv().getOrDefault("NP_JAVA_OPTS", ""));
        return opts.isBlank() ? List.of() : List.of(opts.trim().split("\\s+"));
    }

    /**
     * Untimed rounds in both modes until both JVMs have compiled their hot paths: at least
     * {@code --warmup-rounds}, then on until the JIT compiler threads used less than 5 % of each process's
     * CPU in the last round (at most {@code --warmup-max-rounds}); on a busy 2-core machine C2 needs many
     * seconds, and a timed round during compilation measures the compiler. Then one round at the largest
     * concurrency, so that the connection pools are open.
     */
    private void warmUp(boolean viaGateway, int maxStreams, Map<String, Object> machine) throws Exception {
        int minRounds = Integer.parseInt(options.getOrDefault("warmup-rounds", "3"));
        int maxRounds = Integer.parseInt(options.getOrDefault("warmup-max-rounds", "20"));
        long maxNanos = Long.parseLong(options.getOrDefault("warmup-max-seconds", "45")) * 1_000_000_000L;
        long started = System.nanoTime();
        LoadClient.Round round = new LoadClient.Round(200, 100, 2, 2, true);
        int done = 0;
        double selfJit = Double.NaN;
        double gatewayJit = Double.NaN;
        while (done < maxRounds && (done < minRounds || System.nanoTime() - started < maxNanos)) {
            Map<String, Long> selfBefore = ProcStats.schedNanosByThread(selfPid);
            Map<String, Long> gwBefore = viaGateway ? ProcStats.schedNanosByThread(gateway.pid()) : Map.of();
            for (Mode mode : modes(viaGateway)) {
                warmRound(mode, round);
            }
            done++;
            selfJit = compilerShare(selfBefore, ProcStats.schedNanosByThread(selfPid));
            gatewayJit = viaGateway ? compilerShare(gwBefore, ProcStats.schedNanosByThread(gateway.pid())) : 0;
            if (done >= minRounds && selfJit < 0.05 && gatewayJit < 0.05) {
                break;
            }
        }
        if (minRounds > 0) {
            for (Mode mode : modes(viaGateway)) {
                warmRound(mode, new LoadClient.Round(maxStreams, 5, 20, 20, true));
            }
        }
        machine.put("warmup_rounds", done);
        machine.put("warmup_last_round_jit_share_load_tool", selfJit);
        machine.put("warmup_last_round_jit_share_gateway", gatewayJit);
        log("warm-up done in %.1f s: %d rounds; JIT share of CPU in the last one: load tool %.0f %%, gateway %.0f %%",
                (System.nanoTime() - started) / 1e9, done, selfJit * 100, gatewayJit * 100);
    }

    private void warmRound(Mode mode, LoadClient.Round round) throws Exception {
        List<LoadClient.StreamResult> results = client.run(port(mode), round, limit(round));
        long failed = results.stream().filter(r -> !r.ok()).count();
        for (LoadClient.StreamResult r : results) {
            upstream.take(r.id);
        }
        if (failed > 0) {
            log("warm-up %s: %d of %d streams failed (%s)", mode, failed, results.size(),
                    results.stream().filter(r -> !r.ok()).map(r -> r.error).distinct().toList());
        }
    }

    /** The share of a process's CPU between two readings that its JIT compiler threads used. */
    private static double compilerShare(Map<String, Long> before, Map<String, Long> after) {
        long total = 0;
        long compiler = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            total += delta;
            if (e.getKey().contains("CompilerThre")) {
                compiler += delta;
            }
        }
        return total <= 0 ? 0 : (double) compiler / total;
    }

    private Map<Mode, ModeStats> runScenario(Scenario scenario, boolean viaGateway) throws Exception {
        Map<Mode, ModeStats> stats = new LinkedHashMap<>();
        for (Mode mode : modes(viaGateway)) {
            stats.put(mode, new ModeStats());
        }
        long started = System.nanoTime();
        ModeStats gw = stats.get(Mode.GATEWAY);
        RssSampler sampler = null;
        if (gw != null) {
            ProcStats.resetPeakRss(gateway.pid());
            gw.gatewayRssBeforeKb = ProcStats.statusKb(gateway.pid(), "VmRSS");
            sampler = new RssSampler(gateway.pid());
        }
        long pause = scenario.round().streams() > 1 ? 300 : 20;
        for (int r = 0; r < scenario.rounds(); r++) {
            List<Mode> order = new ArrayList<>(modes(viaGateway));
            if (r % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (Mode mode : order) {
                runRound(scenario.round(), mode, stats.get(mode));
                Thread.sleep(pause); // lets the last stream's close and any GC finish outside the next round
            }
        }
        if (gw != null) {
            sampler.stop();
            gw.gatewayRssAfterKb = ProcStats.statusKb(gateway.pid(), "VmRSS");
            gw.gatewayRssPeakKb = Math.max(sampler.peakKb(), ProcStats.statusKb(gateway.pid(), "VmHWM"));
        }
        log("scenario %s done in %.1f s", scenario.key(), (System.nanoTime() - started) / 1e9);
        return stats;
    }

    private void runRound(LoadClient.Round round, Mode mode, ModeStats stats) throws Exception {
        long[] machineBefore = ProcStats.machine();
        long[] selfBefore = ProcStats.sched(selfPid);
        long clientBefore = threadCpu(client.loopThread());
        long upstreamBefore = threadCpu(upstream.loopThread());
        long[] gwSchedBefore = mode == Mode.GATEWAY ? ProcStats.sched(gateway.pid()) : null;
        long gwTicksBefore = mode == Mode.GATEWAY ? ProcStats.cpuMillis(gateway.pid()) : 0;
        Map<String, Long> gwThreadsBefore = mode == Mode.GATEWAY ? ProcStats.schedNanosByThread(gateway.pid()) : Map.of();
        long started = System.nanoTime();

        List<LoadClient.StreamResult> results = client.run(port(mode), round, limit(round));

        long wall = System.nanoTime() - started;
        if (mode == Mode.GATEWAY) {
            long[] gwSched = ProcStats.sched(gateway.pid());
            stats.gatewaySchedNanos += gwSched[0] - gwSchedBefore[0];
            stats.gatewayWaitNanos += gwSched[1] - gwSchedBefore[1];
            stats.gatewayTickMillis += ProcStats.cpuMillis(gateway.pid()) - gwTicksBefore;
            ProcStats.schedNanosByThread(gateway.pid()).forEach((name, nanos) ->
                    stats.gatewayThreads.merge(name, nanos - gwThreadsBefore.getOrDefault(name, 0L), Long::sum));
        }
        long[] self = ProcStats.sched(selfPid);
        stats.selfSchedNanos += self[0] - selfBefore[0];
        stats.selfWaitNanos += self[1] - selfBefore[1];
        stats.clientLoopNanos += threadCpu(client.loopThread()) - clientBefore;
        stats.upstreamLoopNanos += threadCpu(upstream.loopThread()) - upstreamBefore;
        long[] machineAfter = ProcStats.machine();
        stats.machineTotal += machineAfter[0] - machineBefore[0];
        stats.machineIdle += machineAfter[1] - machineBefore[1];
        stats.wallNanos += wall;
        stats.roundsRun++;

        for (LoadClient.StreamResult r : results) {
            stats.streams++;
            SyntheticUpstream.StreamTimes times = r.ok() ? awaitTimes(r.id) : upstream.take(r.id);
            stats.tokens += r.received;
            if (!r.ok()) {
                stats.error(r.error);
            }
            if (r.overheadHeader != null) {
                try {
                    stats.overheadHeader.add((long) (Double.parseDouble(r.overheadHeader) * 1e6));
                } catch (NumberFormatException e) {
                    stats.error("bad_overhead_header");
                }
            }
            if (r.firstContentNanos > 0) {
                stats.ttft.add(r.ttftNanos());
                if (times != null) {
                    stats.ttftNet.add(r.ttftNanos() - (times.firstSentNanos() - times.arrivedNanos()));
                }
            }
            if (times != null) {
                long[] sent = times.sentNanos();
                for (int i = 0; i < Math.min(sent.length, r.receivedNanos.length); i++) {
                    if (sent[i] != 0 && r.receivedNanos[i] != 0) {
                        stats.chunk.add(r.receivedNanos[i] - sent[i]);
                    }
                }
            } else if (r.ok()) {
                stats.error("no_upstream_record");
            }
        }
    }

    /** The upstream publishes a stream's times just after its last write; the client may see the end first. */
    private SyntheticUpstream.StreamTimes awaitTimes(long id) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            SyntheticUpstream.StreamTimes t = upstream.take(id);
            if (t != null) {
                return t;
            }
            Thread.sleep(1);
        }
        return null;
    }

    private long threadCpu(Thread thread) {
        return thread == null ? 0 : threads.getThreadCpuTime(thread.threadId());
    }

    private int port(Mode mode) {
        return mode == Mode.DIRECT ? upstream.port() : gateway.port();
    }

    private static List<Mode> modes(boolean viaGateway) {
        return viaGateway ? List.of(Mode.DIRECT, Mode.GATEWAY) : List.of(Mode.DIRECT);
    }

    private static long limit(LoadClient.Round round) {
        return round.prefillMs() + round.tokens() * round.delayMs() + 60_000;
    }

    private Map<String, Object> machine(long files) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", ProcStats.cpuModel());
        m.put("load_tool_jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("open_files_limit", files);
        m.put("clk_tck", ProcStats.CLK_TCK);
        m.put("load_average_before", ProcStats.loadAverage());
        m.put("started", LocalDateTime.now().toString());
        return m;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("argument " + a + " (expected: --name value)\n" + usage());
            }
            String name = a.substring(2);
            int eq = name.indexOf('=');
            if (eq > 0) {
                options.put(name.substring(0, eq), name.substring(eq + 1));
            } else if (name.equals("help")) {
                options.put(name, "");
            } else if (i + 1 < args.length) {
                options.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value\n" + usage());
            }
        }
        return options;
    }

    static void log(String format, Object... args) {
        System.err.printf("[gateway-load %s] %s%n", LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_TIME),
                String.format(format, args));
    }

    /** Samples the gateway's resident set every 50 ms, for its peak within a scenario. */
    private static final class RssSampler {
        private final AtomicLong peak = new AtomicLong(-1);
        private final Thread thread;
        private volatile boolean running = true;

        RssSampler(long pid) {
            thread = Thread.ofPlatform().daemon().name("rss-sampler").start(() -> {
                while (running) {
                    long kb = ProcStats.statusKb(pid, "VmRSS");
                    peak.accumulateAndGet(kb, Math::max);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
        }

        long peakKb() {
            return peak.get();
        }
    }
}
