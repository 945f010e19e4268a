package org.neuralpipeline.broadcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neuralpipeline.broadcast.BroadcastHubTest.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.config.BroadcastConfig.SlowViewerPolicy;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseParser;
import org.neuralpipeline.testing.EventRecorder;
import org.neuralpipeline.testing.MeterSnapshot;

/** The viewer endpoints with real WebSocket and SSE clients on 127.0.0.1, port 0. */
class ViewerEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Vertx vertx;
    private SimpleMeterRegistry registry;
    private BroadcastHub hub;
    private HttpServer server;
    private HttpClient http;
    private WebSocketClient webSockets;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        http = vertx.createHttpClient();
        // a small receive buffer, like the server's small send buffer, so that a viewer that stops reading is
        // noticed after kilobytes rather than megabytes
        webSockets = vertx.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(64 * 1024)
                .setMaxConnections(100));
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            await(hub.close());
        }
        await(vertx.close());
    }

    private void serve(int threshold, SlowViewerPolicy policy, int maxViewers) {
        BroadcastConfig config = new BroadcastConfig(1000, threshold, policy, maxViewers, 1000, Duration.ofSeconds(30),
                Duration.ofMinutes(5), 64 * 1024, Duration.ZERO, 16, 65_536, 8, true, "", "");
        registry = new SimpleMeterRegistry();
        hub = new BroadcastHub(vertx, config, new Metrics(registry).broadcast(), InstantSource.system(),
                System::nanoTime).start();
        ViewerEndpoints viewers = new ViewerEndpoints(hub);
        Router router = Router.router(vertx);
        router.get("/v1/neural/stream").handler(viewers::sse);
        router.get("/v1/neural/recent").handler(viewers::recent);
        // through vertx-web's wrapper: works, but one flush per frame (and counted)
        router.get("/wrapped/ws").handler(ctx -> viewers.webSocket(ctx.request()));
        server = await(vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(64 * 1024)
                        .setPerMessageWebSocketCompressionSupported(false))
                .requestHandler(request -> { // as the service does: /ws in front of the router
                    if ("/ws".equals(request.path())) {
                        viewers.webSocket(request);
                    } else {
                        router.handle(request);
                    }
                })
                .listen(0, "127.0.0.1"));
    }

    /** A connected WebSocket whose messages go to {@code messages}, the handler set before the first can arrive. */
    private WebSocket webSocket(String uri, EventRecorder<String> messages) {
        return webSocket(uri, messages::record);
    }

    private WebSocket webSocket(String uri, io.vertx.core.Handler<String> onMessage) {
        ClientWebSocket ws = webSockets.webSocket();
        ws.textMessageHandler(onMessage);
        await(ws.connect(server.actualPort(), "127.0.0.1", uri));
        return ws;
    }

    private EventRecorder<SseEvent> sse(String uri, String lastEventId) {
        EventRecorder<SseEvent> events = new EventRecorder<>();
        SseParser parser = new SseParser(events::record);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(server.actualPort()).setURI(uri);
        if (lastEventId != null) {
            options.putHeader("Last-Event-ID", lastEventId);
        }
        // the handler is set on the event loop as the response arrives, before any of its body can
        HttpClientResponse response = await(http.request(options).compose(req -> req.send().map(r -> {
            r.handler(b -> parser.feed(b.getBytes()));
            return r;
        })));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.getHeader("Content-Type")).isEqualTo("text/event-stream; charset=utf-8");
        return events;
    }

    private record Answer(int status, io.vertx.core.MultiMap headers, String body) {
    }

    private Answer get(String uri) {
        // body() inside the send's callback, on the event loop: a response that ended before body() was asked for
        // would give an empty body (Vert.x hands the chunks to no one until then)
        return await(http.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", uri)
                .compose(req -> req.send()
                        .compose(r -> r.body().map(b -> new Answer(r.statusCode(), r.headers(), b.toString())))));
    }

    /** Waits until the hub has registered this many viewers (subscription is asynchronous). */
    private void awaitViewers(int n) {
        awaitTrue(() -> await(hub.queueDepths()).size() == n, "viewers registered");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(text, e);
        }
    }

    private Map<String, Double> meters() {
        return MeterSnapshot.of(registry);
    }

    @Test
    void webSocketAndSseViewersGetEveryMessageTheirFilterAccepts() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        EventRecorder<String> all = new EventRecorder<>();
        EventRecorder<String> ended = new EventRecorder<>();
        webSocket("/ws", all);
        webSocket("/ws?types=StreamEnded&request_id=r2", ended);
        EventRecorder<SseEvent> sse = sse("/v1/neural/stream?model=m1", null);
        awaitViewers(3);

        hub.publish(new TestMessage("StreamStarted", "r1", "m1", "a"));
        hub.publish(new TestMessage("StreamEnded", "r2", "m2", "b"));

        assertThat(all.next()).isEqualTo("{\"seq\":1,\"message_type\":\"StreamStarted\",\"text\":\"a\"}");
        assertThat(all.next()).isEqualTo("{\"seq\":2,\"message_type\":\"StreamEnded\",\"text\":\"b\"}");
        assertThat(ended.next()).contains("\"seq\":2");
        SseEvent event = sse.next();
        assertThat(event.id()).isEqualTo("1");
        assertThat(event.data()).isEqualTo("{\"seq\":1,\"message_type\":\"StreamStarted\",\"text\":\"a\"}");
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers{transport=websocket}", 2.0)
                .containsEntry("neural_pipeline.broadcast.viewers{transport=sse}", 1.0);
        all.assertExhausted();
        ended.assertExhausted();
        sse.assertExhausted();
    }

    @Test
    void webSocketsServedFromTheServersRequestAreWrittenInBatchesAndWrappedOnesStillWork() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        EventRecorder<String> direct = new EventRecorder<>();
        EventRecorder<String> wrapped = new EventRecorder<>();
        webSocket("/ws", direct);
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.unbatched{}", 0.0);
        webSocket("/wrapped/ws", wrapped);
        awaitViewers(2);

        for (int i = 1; i <= 50; i++) {
            hub.publish(TestMessage.token("t" + i));
        }
        for (int i = 1; i <= 50; i++) {
            assertThat(direct.next()).contains("\"seq\":" + i + ",");
            assertThat(wrapped.next()).contains("\"seq\":" + i + ",");
        }
        // only the viewer behind vertx-web's wrapper missed the batched path
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.unbatched{}", 1.0);
        direct.assertExhausted();
        wrapped.assertExhausted();
    }

    @Test
    void everyFrameLengthEncodingArrivesIntact() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        webSockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20)
                .setMaxMessageSize(1 << 20));
        EventRecorder<String> messages = new EventRecorder<>();
        webSocket("/ws", messages);
        awaitViewers(1);
        // JSON lengths at the edges of the 7-bit (<= 125), 16-bit (<= 65,535) and 64-bit length forms of a frame
        int empty = "{\"seq\":1,\"message_type\":\"TokenVisualizationUpdate\",\"text\":\"\"}".length();
        List<Integer> lengths = List.of(empty, 125, 126, 127, 65_535, 65_536, 100_000);
        for (int length : lengths) {
            hub.publish(TestMessage.token("x".repeat(length - empty)));
        }
        for (int i = 0; i < lengths.size(); i++) {
            String text = messages.next();
            assertThat(text).as("message %d", i + 1).hasSize(lengths.get(i))
                    .isEqualTo("{\"seq\":" + (i + 1) + ",\"message_type\":\"TokenVisualizationUpdate\",\"text\":\""
                            + "x".repeat(lengths.get(i) - empty) + "\"}");
        }
        messages.assertExhausted();
    }

    @Test
    void resumeAfterReconnectDeliversExactlyTheMissedMessages() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        EventRecorder<SseEvent> first = sse("/v1/neural/stream", null);
        awaitViewers(1);
        for (int i = 1; i <= 3; i++) {
            hub.publish(TestMessage.token("t" + i));
        }
        assertThat(List.of(first.next().id(), first.next().id(), first.next().id())).containsExactly("1", "2", "3");
        // the viewer goes away; two messages are published while it is gone
        http.close();
        awaitViewers(0);
        http = vertx.createHttpClient();
        hub.publish(TestMessage.token("t4"));
        hub.publish(TestMessage.token("t5"));

        EventRecorder<SseEvent> again = sse("/v1/neural/stream", "3"); // what EventSource sends on reconnect
        assertThat(again.next().data()).contains("\"seq\":4", "\"t4\"");
        assertThat(again.next().id()).isEqualTo("5");
        hub.publish(TestMessage.token("t6"));
        assertThat(again.next().id()).isEqualTo("6");
        again.assertExhausted();

        EventRecorder<String> ws = new EventRecorder<>();
        webSocket("/ws?since=4", ws);
        assertThat(ws.next()).startsWith("{\"seq\":5,");
        assertThat(ws.next()).startsWith("{\"seq\":6,");
        hub.publish(TestMessage.token("t7"));
        assertThat(ws.next()).startsWith("{\"seq\":7,");
        ws.assertExhausted();
    }

    @Test
    void recentAnswersTheNewestMessagesAsAJsonArray() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        for (int i = 1; i <= 5; i++) {
            hub.publish(TestMessage.token("t" + i));
        }
        awaitTrue(() -> await(hub.recent(10, ViewerFilter.ALL)).size() == 5, "published");
        Answer response = get("/v1/neural/recent?limit=2");
        assertThat(response.headers().get("Content-Type")).isEqualTo("application/json");
        JsonNode array = json(response.body());
        assertThat(array).hasSize(2);
        assertThat(array.get(0).path("seq").asInt()).isEqualTo(4);
        Answer bad = get("/v1/neural/recent?limit=0");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(json(bad.body()).path("error").path("message").asText())
                .isEqualTo("limit: \"0\" (expected: 1 to 1000)");
    }

    @Test
    void viewersBeyondTheMaximumAreRefusedWith503() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 2);
        webSocket("/ws", new EventRecorder<>());
        sse("/v1/neural/stream", null);
        assertThatThrownBy(() -> webSocket("/ws", new EventRecorder<>()))
                .rootCause().isInstanceOfSatisfying(UpgradeRejectedException.class,
                        e -> assertThat(e.getStatus()).isEqualTo(503));
        Answer refused = get("/v1/neural/stream");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.headers().get("Retry-After")).isEqualTo("5");
        JsonNode error = json(refused.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("too_many_viewers");
        assertThat(error.path("message").asText())
                .isEqualTo("Too many viewers: 2 are connected (broadcast.max_viewers); try again later");
        assertThat(meters()).containsEntry("neural_pipeline.broadcast.viewers.refused{}", 2.0);
    }

    @Test
    void aViewerThatReadsNothingDelaysNobodyAndItsQueueStaysBounded() {
        serve(100, SlowViewerPolicy.DROP_OLDEST, 10);
        AtomicInteger healthyA = new AtomicInteger();
        AtomicInteger healthyB = new AtomicInteger();
        EventRecorder<String> slowMessages = new EventRecorder<>();
        webSocket("/ws", m -> healthyA.incrementAndGet());
        webSocket("/ws", m -> healthyB.incrementAndGet());
        WebSocket slow = webSocket("/ws", slowMessages);
        slow.pause(); // stops reading: its socket buffers fill, then its queue in the hub
        awaitViewers(3);

        String text = "x".repeat(2000);
        int total = 0;
        int maxDepth = 0;
        for (int chunk = 0; chunk < 40; chunk++) {
            await(hub.onHub(() -> {
                for (int i = 0; i < 100; i++) {
                    hub.publish(TestMessage.token(text));
                }
                return null;
            }));
            total += 100;
            int expected = total;
            awaitTrue(() -> healthyA.get() == expected && healthyB.get() == expected, "healthy viewers keep up");
            maxDepth = Math.max(maxDepth, await(hub.queueDepths()).stream().max(Integer::compare).orElse(0));
        }
        assertThat(healthyA.get()).isEqualTo(4000);
        assertThat(healthyB.get()).isEqualTo(4000);
        assertThat(maxDepth).as("the slow viewer's queue never exceeds the threshold").isLessThanOrEqualTo(100);
        double dropped = meters().get("neural_pipeline.broadcast.dropped{reason=slow_viewer}");
        assertThat(dropped).as("most of 8 MB cannot fit in a few hundred KiB of buffers").isGreaterThan(3000);

        slow.resume(); // it reads again: what its buffers and queue held, then how much it missed
        List<String> got = new java.util.ArrayList<>();
        String last;
        do {
            last = slowMessages.next(Duration.ofSeconds(20));
            got.add(last);
        } while (!last.contains("\"Dropped\""));
        assertThat(json(last).path("count").asDouble()).isEqualTo(dropped);
        assertThat(got.size() - 1 + dropped).as("every message was delivered or counted").isEqualTo(4000);
    }

    @Test
    void aSlowViewerIsClosedWith1008UnderTheClosePolicy() {
        serve(100, SlowViewerPolicy.CLOSE, 10);
        EventRecorder<Short> closed = new EventRecorder<>();
        WebSocket slow = webSocket("/ws", new EventRecorder<>());
        slow.closeHandler(v -> closed.record(slow.closeStatusCode()));
        slow.pause();
        AtomicInteger healthy = new AtomicInteger();
        webSocket("/ws", m -> healthy.incrementAndGet());
        awaitViewers(2);

        String text = "x".repeat(2000);
        int total = 0;
        while (meters().getOrDefault("neural_pipeline.broadcast.viewers.closed{reason=slow,transport=websocket}", 0.0)
                == 0) {
            assertThat(total).as("closed before 8 MB were sent").isLessThan(4000);
            await(hub.onHub(() -> {
                for (int i = 0; i < 100; i++) {
                    hub.publish(TestMessage.token(text));
                }
                return null;
            }));
            total += 100;
            int expected = total;
            awaitTrue(() -> healthy.get() == expected, "the healthy viewer keeps up");
        }
        slow.resume();
        assertThat(closed.next(Duration.ofSeconds(20))).isEqualTo((short) BroadcastHub.CLOSE_SLOW);
        assertThat(slow.closeReason()).isEqualTo("too slow: more than 100 messages queued");
        assertThat(hub.viewers()).isEqualTo(1);
    }
}
