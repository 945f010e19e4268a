package org.neuralpipeline.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.sse.SseEvent;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The floor under any parser that hands out Java strings: only make each event's data string (with
 * {@code new String(bytes, off, len, UTF_8)}) and its {@link SseEvent}, from the data bytes already cut
 * out and laid end to end, with no parsing at all. Its {@code bytes} counter counts the whole corpus, so
 * its MB/s is comparable with {@link SseParserBenchmark}'s: a parser cannot beat it by making strings
 * this way. Its bytes allocated per event show what the JDK allocates to make those strings: for text
 * with characters above U+00FF the decoder allocates scratch arrays besides the string's own.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class StringFloorBenchmark {

    @Param({"openai", "mixed"})
    public String corpus;

    private int corpusBytes;
    private byte[] data;
    private int[] dataEnds;

    @Setup(Level.Trial)
    public void generate() {
        Corpus c = Corpus.named(corpus);
        corpusBytes = c.bytes().length;
        data = c.data();
        dataEnds = c.dataEnds();
    }

    @Benchmark
    public void strings(SseParserBenchmark.Counters counters, Blackhole blackhole) {
        EventCounter consumer = new EventCounter(blackhole);
        int start = 0;
        for (int end : dataEnds) {
            consumer.onEvent(SseEvent.message(new String(data, start, end - start, StandardCharsets.UTF_8)));
            start = end;
        }
        counters.add(corpusBytes, consumer);
        blackhole.consume(consumer.dataChars);
    }
}
