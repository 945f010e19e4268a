package org.neuralpipeline.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import okhttp3.sse.internal.ServerSentEventReader;
import okio.BufferedSource;
import okio.Okio;
import org.neuralpipeline.sse.SseParser;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Our {@link SseParser} against OkHttp's {@link ServerSentEventReader} on the same bytes, cut into the
 * same chunks. One operation parses a whole corpus (about 50 MiB, see {@link Corpus}), so ops/s is
 * tiny; read the {@code bytes} and {@code events} counters (per second) instead, and
 * {@code scripts/bench.sh sse} turns them into MB/s. Run with {@code -prof gc} for bytes allocated per
 * operation and {@code -prof org.neuralpipeline.bench.CpuTimeProfiler} for MB per CPU-second.
 *
 * <p>Both parsers get the corpus through the API they offer: ours takes {@code feed(byte[], off, len)}
 * slices of the array; OkHttp pulls from an okio {@link ChunkedSource} that hands out at most
 * {@code chunk} bytes per read (okio copies each read into its segment buffer, as it would from a
 * socket). The trial setup runs both once and fails the trial unless each dispatches exactly the events
 * the generator wrote ({@link EventChecksum} over type, data and id).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class SseParserBenchmark {

    @Param({"openai", "mixed"})
    public String corpus;

    @Param({"8192", "64"})
    public int chunk;

    private byte[] bytes;

    @Setup(Level.Trial)
    public void generateAndCheck() throws IOException {
        Corpus c = Corpus.named(corpus);
        bytes = c.bytes();

        EventChecksum ours = new EventChecksum();
        parseWithOurs(bytes, chunk, ours);
        EventChecksum okhttp = new EventChecksum();
        parseWithOkHttp(bytes, chunk, okhttp);
        for (var parser : new Object[][] {{"ours", ours}, {"okhttp", okhttp}}) {
            EventChecksum got = (EventChecksum) parser[1];
            if (got.events() != c.events() || got.checksum() != c.checksum()) {
                throw new IllegalStateException(parser[0] + " on " + corpus + " in " + chunk + "-byte chunks: "
                        + got.events() + " events, checksum " + got.checksum() + " (expected: " + c.events()
                        + " events, checksum " + c.checksum() + ")");
            }
        }
        System.out.printf("%n%s corpus: %,d bytes, %,d events, %.1f bytes/event on the wire, "
                + "%.1f heap bytes/event for the event's own objects; both parsers agree%n",
                corpus, bytes.length, c.events(), (double) bytes.length / c.events(), c.ownBytesPerEvent());
    }

    @Benchmark
    public void ours(Counters counters, Blackhole blackhole) {
        EventCounter consumer = new EventCounter(blackhole);
        parseWithOurs(bytes, chunk, consumer);
        counters.add(bytes.length, consumer);
        blackhole.consume(consumer.dataChars);
    }

    @Benchmark
    public void okhttp(Counters counters, Blackhole blackhole) throws IOException {
        EventCounter consumer = new EventCounter(blackhole);
        parseWithOkHttp(bytes, chunk, consumer);
        counters.add(bytes.length, consumer);
        blackhole.consume(consumer.dataChars);
    }

    static void parseWithOurs(byte[] bytes, int chunk, org.neuralpipeline.sse.SseListener listener) {
        SseParser parser = new SseParser(listener);
        for (int offset = 0; offset < bytes.length; offset += chunk) {
            parser.feed(bytes, offset, Math.min(chunk, bytes.length - offset));
        }
        parser.end();
    }

    static void parseWithOkHttp(byte[] bytes, int chunk, ServerSentEventReader.Callback callback) throws IOException {
        try (BufferedSource source = Okio.buffer(new ChunkedSource(bytes, chunk))) {
            ServerSentEventReader reader = new ServerSentEventReader(source, callback);
            while (reader.processNextEvent()) {
                // each call reads one event block
            }
        }
    }

    /**
     * Bytes and events parsed, reported by JMH per second; also times each iteration on the benchmark
     * thread's CPU clock for {@link CpuTimeProfiler}.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        public long bytes;
        public long events;
        private long cpuAtStart;
        private long wallAtStart;

        @Setup(Level.Iteration)
        public void start() {
            bytes = 0;
            events = 0;
            wallAtStart = System.nanoTime();
            cpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            long cpu = THREADS.getCurrentThreadCpuTime() - cpuAtStart;
            CpuTimeProfiler.publish(cpu, System.nanoTime() - wallAtStart, bytes);
        }

        void add(int corpusBytes, EventCounter consumer) {
            bytes += corpusBytes;
            events += consumer.events;
        }
    }
}
