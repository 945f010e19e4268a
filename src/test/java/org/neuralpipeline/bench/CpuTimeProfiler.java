package org.neuralpipeline.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Throughput per CPU-second, for a shared machine where wall-clock throughput moves with other people's
 * builds. Enable with {@code -prof org.neuralpipeline.bench.CpuTimeProfiler}.
 *
 * <p>How: the benchmark's {@link SseParserBenchmark.Counters} read the benchmark thread's CPU clock
 * ({@code ThreadMXBean.getCurrentThreadCpuTime}) and {@code System.nanoTime} in its iteration-level
 * setup and teardown, which JMH runs on the benchmark thread around the measured loop, and publish them
 * here with the bytes parsed; this profiler also reads the whole JVM's CPU clock around the iteration.
 * It reports per iteration (averaged like the primary score):
 * <ul>
 *   <li>{@code cpu.thread.MBps}: MB parsed per CPU-second of the benchmark thread. Time the thread
 *       spent descheduled does not count; cache and memory-bandwidth contention from neighbours still
 *       does, so this is steadier than wall-clock, not immune.
 *   <li>{@code cpu.process.MBps}: MB per CPU-second of the whole forked JVM, so garbage collection and
 *       JIT threads count too: the honest cost of an allocating parser.
 *   <li>{@code cpu.thread.util}: benchmark-thread CPU time over wall time; well below 1 means the
 *       thread waited for a core and the wall-clock score of that iteration is low for that reason.
 * </ul>
 * MB is 10^6 bytes.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private record Sample(long threadCpuNanos, long wallNanos, long bytes) {
    }

    private static volatile Sample last;

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long processCpuAtStart;

    /** Called by the benchmark thread at the end of each iteration. */
    static void publish(long threadCpuNanos, long wallNanos, long bytes) {
        last = new Sample(threadCpuNanos, wallNanos, bytes);
    }

    @Override
    public String getDescription() {
        return "MB per CPU-second of the benchmark thread and of the whole JVM";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        last = null;
        processCpuAtStart = os.getProcessCpuTime();
    }

    @Override
    public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        long processCpu = os.getProcessCpuTime() - processCpuAtStart;
        Sample s = last;
        if (s == null || s.threadCpuNanos() <= 0) {
            return List.of();
        }
        double mb = s.bytes() / 1e6;
        return List.of(
                new ScalarResult("cpu.thread.MBps", mb / (s.threadCpuNanos() / 1e9), "MB/cpu-s", AggregationPolicy.AVG),
                new ScalarResult("cpu.process.MBps", mb / (processCpu / 1e9), "MB/cpu-s", AggregationPolicy.AVG),
                new ScalarResult("cpu.thread.util", (double) s.threadCpuNanos() / s.wallNanos(), "ratio",
                        AggregationPolicy.AVG));
    }
}
