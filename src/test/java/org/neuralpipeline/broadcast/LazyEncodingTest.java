package org.neuralpipeline.broadcast;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neuralpipeline.broadcast.BroadcastHubTest.await;

import com.fasterxml.jackson.core.JsonGenerator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BroadcastConfig.SlowViewerPolicy;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.testing.ManualClock;
import org.neuralpipeline.testing.MeterSnapshot;

/**
 * The hub encodes a message only when someone reads it (a matching viewer, a resuming viewer, {@code recent}),
 * and then once: messages here count their encodings, so eager or repeated encoding fails these tests.
 */
class LazyEncodingTest {
    private static final String ENCODE_ERRORS = "neural_pipeline.broadcast.dropped{reason=encode_error}";
    private static final String PUBLISHED =
            "neural_pipeline.broadcast.messages.published{type=TokenVisualizationUpdate}";

    private static Vertx vertx;

    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private BroadcastHub hub;

    /** A test message that counts how often the hub writes it, and that can refuse to be written. */
    private record Counted(TestMessage message, boolean fails, AtomicInteger encodings) implements BroadcastMessage {
        Counted(TestMessage message, boolean fails) {
            this(message, fails, new AtomicInteger());
        }

        @Override
        public String type() {
            return message.type();
        }

        @Override
        public String requestId() {
            return message.requestId();
        }

        @Override
        public String model() {
            return message.model();
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            encodings.incrementAndGet();
            if (fails) {
                throw new IOException("cannot write " + message.text());
            }
            message.writeFields(g);
        }
    }

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        await(vertx.close());
    }

    @AfterEach
    void closeHub() {
        if (hub != null) {
            await(hub.close());
        }
    }

    private void hub() {
        hub = new BroadcastHub(vertx, BroadcastHubTest.config(1000, 100, SlowViewerPolicy.DROP_OLDEST, 10, 100,
                Duration.ZERO), new Metrics(registry).broadcast(), clock, clock::nanoTime);
    }

    private FakeSubscriber subscribe(ViewerFilter filter, long since) {
        FakeSubscriber s = new FakeSubscriber();
        assertThat(hub.reserve()).isTrue();
        hub.subscribe(s, filter, since);
        settle();
        return s;
    }

    private void settle() {
        BroadcastHubTest.settle(hub);
    }

    private Counted publish(TestMessage message, boolean fails) {
        Counted counted = new Counted(message, fails);
        hub.publish(counted);
        return counted;
    }

    /** Tokens {@code t1}…{@code tN} of request r1, seq 1…N in a fresh hub. */
    private List<Counted> publishTokens(int n) {
        List<Counted> published = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            published.add(publish(TestMessage.token("t" + i), false));
        }
        settle();
        return published;
    }

    private static List<Integer> encodings(List<Counted> messages) {
        return messages.stream().map(m -> m.encodings().get()).toList();
    }

    private static List<Long> seqs(FakeSubscriber s) {
        return s.batches().stream().flatMap(List::stream).map(Frame::seq).toList();
    }

    private double meter(String key) {
        return MeterSnapshot.of(registry).getOrDefault(key, 0.0);
    }

    @Test
    void nothingIsEncodedWhileNobodyReads() {
        hub();
        List<Counted> published = publishTokens(20);
        assertThat(encodings(published)).containsOnly(0);
        assertThat(meter(PUBLISHED)).isEqualTo(20.0);
    }

    @Test
    void recentEncodesWhatItListsOnce() {
        hub();
        List<Counted> published = publishTokens(10);

        List<Frame> newest = await(hub.recent(3, ViewerFilter.ALL));
        assertThat(newest).extracting(f -> new String(f.json(), UTF_8)).containsExactly(
                "{\"seq\":8,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"t8\"}",
                "{\"seq\":9,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"t9\"}",
                "{\"seq\":10,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"t10\"}");
        assertThat(encodings(published)).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 1, 1);

        assertThat(await(hub.recent(3, ViewerFilter.ALL))).isEqualTo(newest);
        assertThat(encodings(published)).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 1, 1);
        assertThat(await(hub.recent(10, ViewerFilter.ALL))).hasSize(10);
        assertThat(encodings(published)).containsOnly(1);
    }

    @Test
    void liveViewersShareOneEncodingOfEachMessage() {
        hub();
        List<FakeSubscriber> viewers = List.of(subscribe(ViewerFilter.ALL, -1), subscribe(ViewerFilter.ALL, -1),
                subscribe(ViewerFilter.of("r1", "m1", null), -1));
        List<Counted> published = publishTokens(5);

        assertThat(encodings(published)).containsOnly(1);
        for (FakeSubscriber v : viewers) {
            assertThat(v.received()).hasSize(5).last().asString().contains("\"text\":\"t5\"");
            assertThat(v.batches().getFirst().getFirst()).isSameAs(viewers.getFirst().batches().getFirst().getFirst());
        }
    }

    @Test
    void aViewerWhoseFilterMatchesNothingCausesNoEncoding() {
        hub();
        FakeSubscriber other = subscribe(ViewerFilter.of("r2", null, null), -1);
        FakeSubscriber ends = subscribe(ViewerFilter.of(null, null, "StreamEnded"), -1);
        List<Counted> tokens = publishTokens(5);
        Counted end = publish(TestMessage.of("StreamEnded"), false);
        settle();

        assertThat(encodings(tokens)).containsOnly(0);
        assertThat(end.encodings()).hasValue(1);
        assertThat(other.received()).isEmpty();
        assertThat(ends.received()).singleElement().asString().contains("StreamEnded");
    }

    @Test
    void resumingViewersEncodeWhatTheyTakeFromTheRingOnce() {
        hub();
        List<Counted> published = publishTokens(10);

        FakeSubscriber first = subscribe(ViewerFilter.ALL, 4);
        FakeSubscriber second = subscribe(ViewerFilter.ALL, 4);
        assertThat(seqs(first)).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(second.received()).isEqualTo(first.received());
        assertThat(encodings(published)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 1, 1);

        subscribe(ViewerFilter.of(null, null, "StreamEnded"), 0); // takes nothing from the ring
        assertThat(encodings(published)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 1, 1);
    }

    /**
     * The old hub dropped such a message at once; now its failure shows when it is first read, by whoever reads
     * it, and it must still be counted once and skipped by every reader without stalling a resuming one.
     */
    @Test
    void anUnencodableMessageIsSkippedForEveryReaderAndCountedOnce() {
        hub();
        publish(TestMessage.token("t1"), false);
        Counted bad1 = publish(TestMessage.token("bad1"), true); // the newest in the ring when a viewer resumes
        settle();
        assertThat(bad1.encodings()).hasValue(0);

        FakeSubscriber resumed = subscribe(ViewerFilter.ALL, 0);
        assertThat(seqs(resumed)).containsExactly(1L);
        assertThat(meter(ENCODE_ERRORS)).isEqualTo(1.0);

        FakeSubscriber live = subscribe(ViewerFilter.ALL, -1);
        publish(TestMessage.token("t3"), false);
        Counted bad2 = publish(TestMessage.token("bad2"), true);
        publish(TestMessage.token("t5"), false);
        settle();
        assertThat(seqs(resumed)).as("caught up and live despite bad1").containsExactly(1L, 3L, 5L);
        assertThat(seqs(live)).containsExactly(3L, 5L);
        assertThat(meter(ENCODE_ERRORS)).isEqualTo(2.0);

        assertThat(seqs(subscribe(ViewerFilter.ALL, 0))).containsExactly(1L, 3L, 5L);
        assertThat(await(hub.recent(10, ViewerFilter.ALL))).extracting(Frame::seq).containsExactly(1L, 3L, 5L);
        assertThat(await(hub.recent(1, ViewerFilter.ALL))).extracting(Frame::seq).containsExactly(5L);
        assertThat(meter(ENCODE_ERRORS)).isEqualTo(2.0);
        assertThat(List.of(bad1.encodings().get(), bad2.encodings().get())).containsExactly(1, 1);
        assertThat(meter(PUBLISHED)).isEqualTo(5.0);
    }

    @Test
    void aFrameReadBeforeItIsEncodedFailsLoudly() {
        Frame frame = new Frame(7, TestMessage.token("x"), 0);
        assertThatThrownBy(frame::json).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("frame 7 (TokenVisualizationUpdate) has no JSON");
        assertThatThrownBy(frame::sse).isInstanceOf(IllegalStateException.class);
        assertThat(frame).hasToString("Frame 7 (TokenVisualizationUpdate), not encoded");

        Frame unencodable = new Frame(8, TestMessage.token("y"), 0);
        assertThat(unencodable.encode((seq, message) -> null)).isFalse();
        assertThat(unencodable.encode((seq, message) -> {
            throw new AssertionError("encoded twice");
        })).isFalse();
        assertThatThrownBy(unencodable::json).isInstanceOf(IllegalStateException.class);
    }
}
