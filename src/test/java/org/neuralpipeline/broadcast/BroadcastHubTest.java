package org.neuralpipeline.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.config.BroadcastConfig.SlowViewerPolicy;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.testing.ManualClock;
import org.neuralpipeline.testing.MeterSnapshot;
import org.neuralpipeline.testing.SchemaCheck;

/** The hub in memory: fake subscribers whose sockets the test stalls and releases, a clock the test moves. */
class BroadcastHubTest {
    private static Vertx vertx;

    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private BroadcastHub hub;
    /** broadcast.flush_interval: 0 unless a test sets it, so that every drain writes at once. */
    private Duration flushInterval = Duration.ZERO;

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

    private BroadcastHub hub(int queueSize, int threshold, SlowViewerPolicy policy, int maxViewers, int replay) {
        hub = new BroadcastHub(vertx, config(queueSize, threshold, policy, maxViewers, replay, flushInterval),
                new Metrics(registry).broadcast(), clock, clock::nanoTime);
        return hub;
    }

    /** A hub's configuration for tests: heartbeat 30 s, stale after 5 min, the OS's send buffer, ingest on. */
    static BroadcastConfig config(int queueSize, int threshold, SlowViewerPolicy policy, int maxViewers, int replay,
            Duration flushInterval) {
        return new BroadcastConfig(queueSize, threshold, policy, maxViewers, replay, Duration.ofSeconds(30),
                Duration.ofMinutes(5), 0, flushInterval, 16, 65_536, 8, true, "", "");
    }

    private BroadcastHub hub() {
        return hub(1000, 100, SlowViewerPolicy.DROP_OLDEST, 10, 100);
    }

    private Subscription subscribe(FakeSubscriber s, long since) {
        assertThat(hub.reserve()).isTrue();
        Subscription subscription = hub.subscribe(s, ViewerFilter.ALL, since);
        settle();
        return subscription;
    }

    private void settle() {
        settle(hub);
    }

    /** Lets the hub's thread run everything queued so far (fake writes complete synchronously). */
    static void settle(BroadcastHub hub) {
        for (int i = 0; i < 6; i++) {
            await(hub.onHub(() -> null));
        }
    }

    static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (Exception e) {
            throw new AssertionError(text, e);
        }
    }

    private Map<String, Double> meters() {
        return MeterSnapshot.of(registry);
    }

    @Test
    void everyViewerGetsTheSameBytesEncodedOnce() {
        hub();
        FakeSubscriber a = new FakeSubscriber();
        FakeSubscriber b = new FakeSubscriber("sse", false);
        subscribe(a, -1);
        subscribe(b, -1);
        assertThat(hub.publish(TestMessage.token("hi"))).isEqualTo(1);
        assertThat(hub.publish(TestMessage.token("there"))).isEqualTo(2);
        settle();

        assertThat(a.received()).containsExactly(
                "{\"seq\":1,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"hi\"}",
                "{\"seq\":2,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"there\"}");
        assertThat(b.received()).isEqualTo(a.received());
        Frame first = a.batches().getFirst().getFirst();
        assertThat(b.batches().getFirst().getFirst()).isSameAs(first);
        assertThat(new String(first.sse(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "id: 1\ndata: {\"seq\":1,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"hi\"}\n\n");
        assertThat(meters())
                .containsEntry("neural_pipeline.broadcast.messages.published{type=TokenVisualizationUpdate}", 2.0)
                .containsEntry("neural_pipeline.broadcast.deliveries{transport=websocket}", 2.0)
                .containsEntry("neural_pipeline.broadcast.viewers{transport=sse}", 1.0);
    }

    @Test
    void whileMessagesKeepComingAViewerIsWrittenAtMostOncePerFlushInterval() {
        flushInterval = Duration.ofSeconds(1);
        hub();
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, -1);
        hub.publish(TestMessage.token("1")); // the first after a quiet interval: written at once
        settle();
        assertThat(s.batches()).hasSize(1);

        hub.publish(TestMessage.token("2")); // within the interval: held for the rest of it
        settle();
        hub.publish(TestMessage.token("3"));
        settle();
        assertThat(s.batches()).as("held within the interval").hasSize(1);
        // the interval's timer (real time) writes both in one batch
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (s.batches().size() < 2 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
        assertThat(s.batches()).hasSize(2);
        assertThat(s.batches().get(1)).extracting(Frame::seq).containsExactly(2L, 3L);

        clock.advance(Duration.ofSeconds(1)); // a quiet interval later: at once again
        hub.publish(TestMessage.token("4"));
        settle();
        assertThat(s.batches()).hasSize(3);
        assertThat(s.received()).hasSize(4);
    }

    @Test
    void aBurstReachesAHealthyViewerWholeInOneWrite() {
        hub(1000, 10, SlowViewerPolicy.DROP_OLDEST, 10, 100);
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, -1);
        await(hub.onHub(() -> {
            for (int i = 0; i < 500; i++) {
                hub.publish(TestMessage.token("t" + i));
            }
            return null;
        }));
        settle();
        assertThat(s.batches()).hasSize(1);
        assertThat(s.received()).hasSize(500);
    }

    @Test
    void messagesQueuedWhileABatchIsInFlightGoOutInOneWrite() {
        hub();
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, -1);
        s.stall();
        hub.publish(TestMessage.token("0"));
        settle();
        for (int i = 1; i <= 50; i++) {
            hub.publish(TestMessage.token(Integer.toString(i)));
        }
        settle();
        assertThat(s.batches()).hasSize(1); // the first write has not completed: the rest wait
        s.release();
        settle();
        assertThat(s.batches()).hasSize(2);
        assertThat(s.batches().get(1)).hasSize(50);
        assertThat(s.received()).hasSize(51).last().asString().contains("\"text\":\"50\"");
    }

    @Test
    void filtersSelectByRequestModelAndType() {
        hub();
        FakeSubscriber byRequest = new FakeSubscriber();
        FakeSubscriber byTypes = new FakeSubscriber();
        hub.reserve();
        hub.subscribe(byRequest, ViewerFilter.of("r2", null, null), -1);
        hub.reserve();
        hub.subscribe(byTypes, ViewerFilter.of(null, "m1", "StreamStarted, StreamEnded"), -1);
        settle();
        hub.publish(new TestMessage("StreamStarted", "r1", "m1", "a"));
        hub.publish(new TestMessage("TokenVisualizationUpdate", "r2", "m2", "b"));
        hub.publish(new TestMessage("StreamEnded", "r2", "m2", "c"));
        hub.publish(new TestMessage("StreamEnded", "r1", "m1", "d"));
        settle();
        assertThat(byRequest.received()).extracting(j -> j.substring(j.length() - 3)).containsExactly("b\"}", "c\"}");
        assertThat(byTypes.received()).extracting(j -> j.substring(j.length() - 3)).containsExactly("a\"}", "d\"}");
    }

    @Test
    void slowViewerIsToldWhatItMissedAndNeverLosesLifecycleMessages() {
        hub(1000, 10, SlowViewerPolicy.DROP_OLDEST, 10, 100);
        FakeSubscriber healthy = new FakeSubscriber();
        FakeSubscriber slow = new FakeSubscriber();
        subscribe(healthy, -1);
        subscribe(slow, -1);
        slow.stall();
        hub.publish(TestMessage.of("StreamStarted"));
        settle(); // the slow viewer's first batch is now stuck in its socket
        await(hub.onHub(() -> { // one burst: one drain
            for (int i = 0; i < 50; i++) {
                hub.publish(TestMessage.token("t" + i));
            }
            return hub.publish(TestMessage.of("StreamEnded"));
        }));
        settle();

        assertThat(healthy.received()).hasSize(52);
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.dropped{reason=slow_viewer}", 41.0)
                .containsEntry("neural_pipeline.broadcast.queued.messages{}", 10.0)
                .containsEntry("neural_pipeline.broadcast.deliveries{transport=websocket}", 52.0);

        slow.release();
        settle();
        List<String> got = slow.received();
        assertThat(got.getFirst()).contains("StreamStarted");
        // its queue never held more than the threshold (10): the newest 9 tokens and StreamEnded survived, and
        // the Dropped count follows once it caught up
        assertThat(got.subList(1, 10)).allSatisfy(j -> assertThat(j).contains("TokenVisualizationUpdate"));
        assertThat(got.get(1)).contains("\"t41\"");
        assertThat(got.get(10)).contains("StreamEnded");
        assertThat(got).hasSize(12);
        assertThat(got.getLast()).matches("\\{\"message_type\":\"Dropped\",\"timestamp\":[0-9.E]+,\"count\":41,"
                + "\"reason\":\"slow_viewer\"}");
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.queued.messages{}", 0.0);
        assertThat(SchemaCheck.violations(json(got.getLast()))).isEmpty();
    }

    @Test
    void slowViewerIsDisconnectedAndCountedUnderTheClosePolicy() {
        hub(1000, 10, SlowViewerPolicy.CLOSE, 10, 100);
        FakeSubscriber healthy = new FakeSubscriber();
        FakeSubscriber slow = new FakeSubscriber();
        subscribe(healthy, -1);
        subscribe(slow, -1);
        slow.stall();
        hub.publish(TestMessage.token("first"));
        settle();
        await(hub.onHub(() -> {
            for (int i = 0; i < 20; i++) {
                hub.publish(TestMessage.token("t" + i));
            }
            return null;
        }));
        settle();
        assertThat(slow.closeCode()).isEqualTo(BroadcastHub.CLOSE_SLOW);
        assertThat(slow.closeReason()).isEqualTo("too slow: more than 10 messages queued");
        assertThat(healthy.received()).hasSize(21);
        assertThat(hub.viewers()).isEqualTo(1);
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.closed{reason=slow,transport=websocket}",
                1.0).containsEntry("neural_pipeline.broadcast.dropped{reason=viewer_closed}", 11.0)
                .containsEntry("neural_pipeline.broadcast.viewers{transport=websocket}", 1.0);
    }

    /**
     * Symptom: with the close policy, the healthy viewer stopped receiving anything once a slow viewer that had
     * subscribed before it was closed: the close removed it from the set the fan-out was iterating, and the
     * ConcurrentModificationException ended the drain.
     */
    @Test
    void aViewerClosedDuringFanOutDoesNotStopDeliveryToTheOthers() {
        hub(1000, 10, SlowViewerPolicy.CLOSE, 10, 100);
        FakeSubscriber slow = new FakeSubscriber();
        FakeSubscriber healthy = new FakeSubscriber();
        subscribe(slow, -1);
        subscribe(healthy, -1);
        slow.stall();
        hub.publish(TestMessage.token("first"));
        settle();
        await(hub.onHub(() -> {
            for (int i = 0; i < 20; i++) {
                hub.publish(TestMessage.token("t" + i));
            }
            return null;
        }));
        settle();
        assertThat(slow.closeCode()).isEqualTo(BroadcastHub.CLOSE_SLOW);
        assertThat(healthy.received()).hasSize(21);
        hub.publish(TestMessage.token("after"));
        settle();
        assertThat(healthy.received()).hasSize(22);
    }

    @Test
    void viewersBeyondTheMaximumAreRefused() {
        hub(1000, 100, SlowViewerPolicy.DROP_OLDEST, 2, 100);
        assertThat(hub.reserve()).isTrue();
        assertThat(hub.reserve()).isTrue();
        assertThat(hub.reserve()).isFalse();
        hub.release();
        assertThat(hub.reserve()).isTrue();
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.refused{}", 1.0);
    }

    @Test
    void heartbeatPingsAndClosesViewersSilentPastTheStaleTimeout() {
        hub();
        FakeSubscriber ws = new FakeSubscriber("websocket", true);
        FakeSubscriber quiet = new FakeSubscriber("websocket", true);
        FakeSubscriber sse = new FakeSubscriber("sse", false);
        Subscription wsSubscription = subscribe(ws, -1);
        subscribe(quiet, -1);
        subscribe(sse, -1);

        clock.advance(Duration.ofSeconds(30));
        await(hub.onHub(() -> {
            hub.heartbeat();
            return null;
        }));
        settle();
        assertThat(List.of(ws.pings(), quiet.pings(), sse.pings())).containsExactly(1, 1, 1);

        clock.advance(Duration.ofSeconds(250));
        wsSubscription.touch(); // a pong
        clock.advance(Duration.ofSeconds(21)); // 301 s since the quiet one was heard; the SSE ping was accepted at 30 s
        await(hub.onHub(() -> {
            hub.heartbeat();
            return null;
        }));
        settle();
        assertThat(quiet.closeCode()).isEqualTo(BroadcastHub.CLOSE_STALE);
        assertThat(quiet.closeReason()).isEqualTo("stale: no sign of life for 300 s");
        assertThat(ws.closeCode()).isNull();
        assertThat(sse.closeCode()).isNull();
        assertThat(hub.viewers()).isEqualTo(2);
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.closed{reason=stale,transport=websocket}",
                1.0);
    }

    @Test
    void anSseViewerWhoseSocketAcceptsNothingGoesStale() {
        hub();
        FakeSubscriber sse = new FakeSubscriber("sse", false);
        subscribe(sse, -1);
        sse.stall();
        hub.publish(TestMessage.token("x"));
        settle();
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        await(hub.onHub(() -> {
            hub.heartbeat();
            return null;
        }));
        assertThat(sse.closeCode()).isEqualTo(BroadcastHub.CLOSE_STALE);
        assertThat(sse.pings()).isZero(); // never pinged while a write was stuck
    }

    @Test
    void resumeDeliversExactlyTheMissedMessages() {
        hub();
        for (int i = 1; i <= 30; i++) {
            hub.publish(TestMessage.token("t" + i));
        }
        settle();
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, 25);
        hub.publish(TestMessage.token("t31"));
        settle();
        assertThat(s.received()).extracting(j -> j.replaceAll(".*\"text\":\"(t\\d+)\".*", "$1"))
                .containsExactly("t26", "t27", "t28", "t29", "t30", "t31");
    }

    @Test
    void resumeFromBeforeTheRingStartsWithTheGap() {
        hub(1000, 100, SlowViewerPolicy.DROP_OLDEST, 10, 10);
        for (int i = 1; i <= 30; i++) {
            hub.publish(TestMessage.token("t" + i));
        }
        settle();
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, 5); // wants 6..30; the ring holds 21..30
        List<String> got = s.received();
        assertThat(got.getFirst()).contains("\"count\":15,\"reason\":\"replay_window\"");
        assertThat(SchemaCheck.violations(json(got.getFirst()))).isEmpty();
        assertThat(got.subList(1, got.size())).hasSize(10).first().asString().contains("\"t21\"");
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.dropped{reason=replay_window}", 15.0);
    }

    @Test
    void anIdFromAnEarlierRunReplaysTheWholeRing() {
        hub();
        hub.publish(TestMessage.token("a"));
        hub.publish(TestMessage.token("b"));
        settle();
        FakeSubscriber s = new FakeSubscriber();
        subscribe(s, 5000);
        assertThat(s.received()).hasSize(2);
        FakeSubscriber live = new FakeSubscriber();
        subscribe(live, 2);
        assertThat(live.received()).isEmpty();
    }

    @Test
    void recentReturnsTheNewestMatchingMessagesOldestFirst() {
        hub();
        hub.publish(new TestMessage("StreamStarted", "r1", "m", "a"));
        hub.publish(new TestMessage("TokenVisualizationUpdate", "r1", "m", "b"));
        hub.publish(new TestMessage("TokenVisualizationUpdate", "r2", "m", "c"));
        hub.publish(new TestMessage("TokenVisualizationUpdate", "r1", "m", "d"));
        settle();
        assertThat(await(hub.recent(2, ViewerFilter.ALL))).extracting(Frame::seq)
                .containsExactly(3L, 4L);
        assertThat(await(hub.recent(10, ViewerFilter.of("r1", null, "TokenVisualizationUpdate"))))
                .extracting(Frame::seq).containsExactly(2L, 4L);
    }

    @Test
    void cancelFreesThePlaceAndShutdownClosesEveryone() {
        hub();
        FakeSubscriber a = new FakeSubscriber();
        FakeSubscriber b = new FakeSubscriber();
        Subscription sa = subscribe(a, -1);
        subscribe(b, -1);
        sa.cancel();
        settle();
        assertThat(hub.viewers()).isEqualTo(1);
        await(hub.close());
        assertThat(b.closeCode()).isEqualTo(BroadcastHub.CLOSE_SHUTDOWN);
        assertThat(hub.publish(TestMessage.token("late"))).isEqualTo(-1);
        assertThat(hub.viewers()).isZero();
        hub = null;
    }
}
