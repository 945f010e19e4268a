package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.sse.RecordingHandler.Comment;
import org.neuralpipeline.sse.RecordingHandler.Open;
import org.neuralpipeline.sse.RecordingHandler.Reconnecting;
import org.neuralpipeline.sse.SseClientException.Kind;
import org.neuralpipeline.testing.MeterSnapshot;
import org.neuralpipeline.testing.Ports;
import org.neuralpipeline.testing.ReceivedRequest;
import org.neuralpipeline.testing.Reply;
import org.neuralpipeline.testing.ScriptedHttpServer;

/**
 * {@link SseClient} against a real HTTP server on 127.0.0.1. Timing is driven by small {@code retry:}
 * values and by waiting on recorded callbacks with timeouts; nothing sleeps.
 */
class SseClientTest {
    /** Quick reconnections for tests; each test states any other option it relies on. */
    private static final SseClientOptions FAST = SseClientOptions.DEFAULT
            .withReconnectionTime(Duration.ofMillis(10))
            .withMinReconnectDelay(Duration.ofMillis(1))
            .withMaxReconnectDelay(Duration.ofMillis(200))
            .withIdleTimeout(Duration.ofSeconds(5));

    private static Vertx vertx;

    private ScriptedHttpServer server;
    private HttpClientAgent http;
    private SimpleMeterRegistry registry;
    private SseClient client;
    private final RecordingHandler handler = new RecordingHandler();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws TimeoutException {
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void setUp() {
        server = ScriptedHttpServer.start(vertx);
        http = vertx.createHttpClient();
        registry = new SimpleMeterRegistry();
        client = new SseClient(vertx, http, new Metrics(registry).sseClient("test"));
    }

    @AfterEach
    void tearDown() throws TimeoutException {
        try {
            handler.calls.assertExhausted();
            server.requests().assertExhausted();
        } finally {
            http.close().await(5, TimeUnit.SECONDS);
            server.close();
        }
    }

    @Test
    void getStreamsEventsAndCommentsInOrder() throws TimeoutException {
        server.enqueue(Reply.eventStream()
                .write(": keep-alive\n\n")
                .write("event: token\nid: 7\ndata: hello\ndata: world\n\n")
                .write("data: second\n\n"));

        SseSubscription stream = connect(SseRequest.get(server.url("/events?x=1")), FAST.withMaxRetries(0));

        assertThat(handler.calls.next()).isEqualTo(new Open(200, "text/event-stream"));
        assertThat(handler.calls.next()).isEqualTo(new Comment(" keep-alive"));
        assertThat(handler.nextEvent()).isEqualTo(new SseEvent("token", "hello\nworld", "7"));
        assertThat(handler.nextEvent()).isEqualTo(new SseEvent("message", "second", "7"));
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.END_OF_STREAM));
        assertThat(stream.closed().await(5, TimeUnit.SECONDS)).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.END_OF_STREAM));
        assertThat(stream.lastEventId()).isEqualTo("7");
        assertThat(stream.retryMillis()).isEqualTo(-1);

        ReceivedRequest request = server.requests().next();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.uri()).isEqualTo("/events?x=1");
        assertThat(request.header("Accept")).isEqualTo("text/event-stream");
        assertThat(request.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(request.header("Last-Event-ID")).isNull();
    }

    @Test
    void reconnectsAfterDropAndSendsLastEventId() {
        server.enqueue(
                Reply.eventStream().write("retry: 10\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n").drop(),
                Reply.eventStream().write("data: c\n\n"),
                Reply.status(204));

        SseSubscription stream = connect(SseRequest.get(server.url("/events")), FAST);

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent()).isEqualTo(new SseEvent("message", "a", "1"));
        assertThat(handler.nextEvent()).isEqualTo(new SseEvent("message", "b", "2"));
        Reconnecting afterDrop = handler.nextReconnecting();
        assertThat(afterDrop.attempt()).isEqualTo(1);
        assertThat(afterDrop.delay()).isEqualTo(Duration.ofMillis(10));
        assertThat(afterDrop.cause()).isNotInstanceOf(EOFException.class);
        handler.calls.next(Open.class);
        assertThat(handler.nextEvent()).isEqualTo(new SseEvent("message", "c", "2"));
        assertThat(handler.nextReconnecting().cause()).isInstanceOf(EOFException.class);
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));

        assertThat(server.requests().next().header("Last-Event-ID")).isNull();
        assertThat(server.requests().next().header("Last-Event-ID")).isEqualTo("2");
        assertThat(server.requests().next().header("Last-Event-ID")).isEqualTo("2");
        assertThat(stream.lastEventId()).isEqualTo("2");
        assertThat(stream.retryMillis()).isEqualTo(10);
        assertThat(handler.threads).as("every callback on the stream's one event-loop thread").hasSize(1);
    }

    @Test
    void lastEventIdHeaderOfTheRequestResumesTheFirstConnection() {
        server.enqueue(Reply.status(204));

        connect(SseRequest.get(server.url("/events")).withHeader("last-event-id", "41"), FAST);

        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        ReceivedRequest request = server.requests().next();
        assertThat(request.headers().get("Last-Event-ID")).containsExactly("41");
    }

    @Test
    void retryFieldSetsTheReconnectionDelay() {
        server.enqueue(Reply.eventStream().write("retry: 250\ndata: a\n\n"), Reply.status(204));

        connect(SseRequest.get(server.url("/events")), FAST.withReconnectionTime(Duration.ofSeconds(3))
                .withMaxReconnectDelay(Duration.ofSeconds(30)));

        handler.calls.next(Open.class);
        handler.nextEvent();
        assertThat(handler.nextReconnecting().delay())
                .as("the first reconnection waits exactly the stream's retry: value")
                .isEqualTo(Duration.ofMillis(250));
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        long first = server.requests().next().receivedNanos();
        long second = server.requests().next().receivedNanos();
        assertThat(Duration.ofNanos(second - first)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    @Test
    void getFollowsARedirect() {
        server.enqueue(Reply.status(307).header("Location", server.url("/moved")),
                Reply.eventStream().write("data: here\n\n"));

        connect(SseRequest.get(server.url("/events")), FAST.withMaxRetries(0));

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().data()).isEqualTo("here");
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.END_OF_STREAM));
        assertThat(server.requests().next().uri()).isEqualTo("/events");
        ReceivedRequest moved = server.requests().next();
        assertThat(moved.uri()).isEqualTo("/moved");
        assertThat(moved.header("Accept")).isEqualTo("text/event-stream");
    }

    @Test
    void postDoesNotFollowARedirect() {
        server.enqueue(Reply.status(307).header("Location", server.url("/moved")));

        connect(SseRequest.post(server.url("/events"), "{}"), FAST);

        assertThat(handler.nextFailure().getMessage()).startsWith("HTTP 307");
        server.requests().next();
    }

    @Test
    void eventIdThatCannotBeSentBackFailsInsteadOfReconnecting() {
        // Vert.x refuses control characters in header values; before this check the reconnection threw
        // inside a timer and the stream hung, never calling onClosed.
        server.enqueue(Reply.eventStream().write("retry: 10\nid: a\u000bb\ndata: x\n\n").drop());

        connect(SseRequest.get(server.url("/events")), FAST);

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().id()).isEqualTo("a\u000bb");
        handler.nextReconnecting();
        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.BAD_STREAM);
        assertThat(error.getMessage()).contains("Last-Event-ID");
        server.requests().next();
    }

    @Test
    void noContentEndsTheStreamWithoutReconnecting() {
        server.enqueue(Reply.status(204));

        connect(SseRequest.get(server.url("/events")), FAST);

        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        server.requests().next();
        assertThat(registry.get("neural_pipeline.sse.client.reconnects").counter().count()).isZero();
    }

    @Test
    void serverErrorFailsWithStatusAndBodyPrefixWithoutReconnecting() {
        server.enqueue(Reply.status(500).header("Content-Type", "text/plain").write("model crashed\n  out of memory"));

        connect(SseRequest.get(server.url("/events")), FAST);

        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.HTTP_STATUS);
        assertThat(error.status()).isEqualTo(500);
        assertThat(error.getMessage()).isEqualTo("HTTP 500: model crashed out of memory");
        server.requests().next();
    }

    @Test
    void longErrorBodyIsCutToAShortPrefix() {
        server.enqueue(Reply.status(503).write("x".repeat(100_000)).stall());

        connect(SseRequest.get(server.url("/events")), FAST);

        SseClientException error = handler.nextFailure();
        assertThat(error.getMessage()).startsWith("HTTP 503: xxx").endsWith("…").hasSizeLessThan(220);
        server.requests().next();
    }

    @Test
    void wrongContentTypeFailsNamingTheTypeWithoutReconnecting() {
        server.enqueue(Reply.status(200).header("Content-Type", "application/json").write("{\"ok\":true}"));

        connect(SseRequest.get(server.url("/events")), FAST);

        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.CONTENT_TYPE);
        assertThat(error.getMessage()).contains("\"application/json\"").contains("expected: text/event-stream");
        server.requests().next();
    }

    @Test
    void contentTypeParametersAreAccepted() {
        server.enqueue(Reply.status(200).header("Content-Type", "Text/Event-Stream; charset=utf-8")
                .write("data: a\n\n"));

        connect(SseRequest.get(server.url("/events")), FAST.withMaxRetries(0));

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().data()).isEqualTo("a");
        assertThat(handler.nextClosed()).isInstanceOf(SseOutcome.Ended.class);
        server.requests().next();
    }

    @Test
    void idleTimeoutAfterHeadersReconnects() {
        server.enqueue(Reply.eventStream().write("data: a\n\n").stall(), Reply.status(204));

        connect(SseRequest.get(server.url("/events")), FAST.withIdleTimeout(Duration.ofMillis(200)));

        handler.calls.next(Open.class);
        handler.nextEvent();
        Reconnecting reconnecting = handler.nextReconnecting();
        assertThat(reconnecting.cause()).isInstanceOf(TimeoutException.class).hasMessageContaining("200 ms");
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        server.requests().next();
        server.requests().next();
    }

    @Test
    void idleTimeoutCoversTheWaitForResponseHeaders() {
        server.enqueue(Reply.stallBeforeHeaders(), Reply.status(204));

        connect(SseRequest.get(server.url("/events")), FAST.withIdleTimeout(Duration.ofMillis(200)));

        assertThat(handler.nextReconnecting().cause()).isInstanceOf(TimeoutException.class);
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        server.requests().next();
        server.requests().next();
    }

    @Test
    void refusedConnectionIsRetriedExactlyMaxRetriesTimesThenFails() {
        String url = "http://127.0.0.1:" + Ports.refusedPort() + "/events";

        connect(SseRequest.get(url), FAST.withMaxRetries(3));

        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(handler.nextReconnecting().attempt()).isEqualTo(attempt);
        }
        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.NETWORK);
        assertThat(error.status()).isZero();
        assertThat(error.getMessage()).contains("gave up after 3 reconnection attempts");
        assertThat(error.getCause()).isNotNull();
        assertThat(MeterSnapshot.of(registry))
                .containsEntry(meter("neural_pipeline.sse.client.reconnects"), 3.0);
    }

    @Test
    void attemptCounterResetsAfterASuccessfulConnection() {
        server.enqueue(
                Reply.eventStream().write("data: a\n\n").drop(),
                Reply.dropBeforeHeaders(),
                Reply.eventStream().write("data: b\n\n").drop(),
                Reply.dropBeforeHeaders(),
                Reply.status(204));

        // Two consecutive failures allowed: four failures in all, but never more than two in a row.
        connect(SseRequest.get(server.url("/events")), FAST.withMaxRetries(2));

        handler.calls.next(Open.class);
        handler.nextEvent();
        assertThat(handler.nextReconnecting().attempt()).isEqualTo(1);
        assertThat(handler.nextReconnecting().attempt()).isEqualTo(2);
        handler.calls.next(Open.class);
        handler.nextEvent();
        assertThat(handler.nextReconnecting().attempt()).as("reset by the successful connection").isEqualTo(1);
        assertThat(handler.nextReconnecting().attempt()).isEqualTo(2);
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.NO_CONTENT));
        for (int i = 0; i < 5; i++) {
            server.requests().next();
        }
    }

    @Test
    void postSendsBodyAndHeadersOnceAndEndsWithTheStream() {
        server.enqueue(Reply.eventStream().write("data: {\"delta\":\"Hi\"}\n\n").write("data: [DONE]\n\n"));
        String body = "{\"model\":\"m\",\"stream\":true}";
        SseRequest post = SseRequest.post(server.url("/v1/chat/completions"), body)
                .withHeader("Content-Type", "application/json")
                .withHeader("Authorization", "Bearer sk-test");

        connect(post, FAST);

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().data()).isEqualTo("{\"delta\":\"Hi\"}");
        assertThat(handler.nextEvent().data()).isEqualTo("[DONE]");
        assertThat(handler.nextClosed()).isEqualTo(new SseOutcome.Ended(SseOutcome.Reason.END_OF_STREAM));
        ReceivedRequest request = server.requests().next();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.body()).isEqualTo(body);
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertThat(request.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(request.header("Accept")).isEqualTo("text/event-stream");
    }

    @Test
    void postIsNotReplayedAfterADroppedConnection() {
        server.enqueue(Reply.eventStream().write("data: partial\n\n").drop());

        connect(SseRequest.post(server.url("/v1/chat/completions"), "{}"), FAST);

        handler.calls.next(Open.class);
        handler.nextEvent();
        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.NETWORK);
        assertThat(error.getMessage()).doesNotContain("gave up");
        server.requests().next();
    }

    @Test
    void cancelStopsAPendingReconnection() throws TimeoutException {
        server.enqueue(Reply.eventStream().write("retry: 10000\ndata: a\n\n"));

        SseSubscription stream = connect(SseRequest.get(server.url("/events")), FAST.withMaxReconnectDelay(
                Duration.ofSeconds(30)));

        handler.calls.next(Open.class);
        handler.nextEvent();
        assertThat(handler.nextReconnecting().delay()).isEqualTo(Duration.ofSeconds(10));
        stream.cancel();
        assertThat(handler.nextClosed()).isInstanceOf(SseOutcome.Cancelled.class);
        assertThat(stream.closed().await(5, TimeUnit.SECONDS)).isInstanceOf(SseOutcome.Cancelled.class);
        assertThat(((EventSourceStream) stream).reconnectPending()).isFalse();
        stream.cancel();
        server.requests().next();
        assertThat(registry.get("neural_pipeline.sse.client.reconnects").counter().count()).isZero();
    }

    @Test
    void cancelClosesAnOpenStreamAndDeliversOnlyClosed() throws TimeoutException {
        server.enqueue(Reply.eventStream().write("data: a\n\n").stall());

        SseSubscription stream = connect(SseRequest.get(server.url("/events")), FAST);

        handler.calls.next(Open.class);
        handler.nextEvent();
        stream.cancel();
        assertThat(handler.nextClosed()).isInstanceOf(SseOutcome.Cancelled.class);
        server.requests().next();
    }

    @Test
    void parserLimitBreachFailsCountsAParseErrorAndDoesNotReconnect() {
        server.enqueue(Reply.eventStream().write("data: ok\n\n").write("data: " + "x".repeat(200) + "\n\n"));

        connect(SseRequest.get(server.url("/events")), FAST.withMaxBytes(64));

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().data()).isEqualTo("ok");
        SseClientException error = handler.nextFailure();
        assertThat(error.kind()).isEqualTo(Kind.BAD_STREAM);
        assertThat(error.getCause()).isInstanceOf(SseLimitExceededException.class);
        assertThat(MeterSnapshot.of(registry))
                .containsEntry(meter("neural_pipeline.sse.client.parse.errors"), 1.0)
                .containsEntry(meter("neural_pipeline.sse.client.reconnects"), 0.0);
        server.requests().next();
    }

    @Test
    void metricsCountEventsBytesAndReconnects() {
        String first = "retry: 10\ndata: a\n\n";
        String second = "data: b\n\ndata: c\n\n";
        server.enqueue(Reply.eventStream().write(first).drop(), Reply.eventStream().write(second),
                Reply.status(204));

        connect(SseRequest.get(server.url("/events")), FAST);

        assertThat(handler.calls.nextUntil(RecordingHandler.Closed.class)).hasSize(8);
        assertThat(MeterSnapshot.of(registry))
                .containsEntry(meter("neural_pipeline.sse.client.events"), 3.0)
                .containsEntry(meter("neural_pipeline.sse.client.received"), (double) (first.length() + second.length()))
                .containsEntry(meter("neural_pipeline.sse.client.reconnects"), 2.0)
                .containsEntry(meter("neural_pipeline.sse.client.parse.errors"), 0.0);
        for (int i = 0; i < 3; i++) {
            server.requests().next();
        }
    }

    @Test
    void multiByteCharactersSplitAcrossWritesArriveIntact() {
        byte[] bytes = "data: héllo 🌍 ok\n\n".getBytes(StandardCharsets.UTF_8);
        int inE = "data: h".length() + 1;                 // between the two bytes of é
        int inGlobe = "data: héllo ".getBytes(StandardCharsets.UTF_8).length + 2; // inside the 4-byte emoji
        server.enqueue(Reply.eventStream()
                .write(Arrays.copyOfRange(bytes, 0, inE))
                .pause(Duration.ofMillis(20))
                .write(Arrays.copyOfRange(bytes, inE, inGlobe))
                .pause(Duration.ofMillis(20))
                .write(Arrays.copyOfRange(bytes, inGlobe, bytes.length)));

        connect(SseRequest.get(server.url("/events")), FAST.withMaxRetries(0));

        handler.calls.next(Open.class);
        assertThat(handler.nextEvent().data()).isEqualTo("héllo 🌍 ok");
        handler.nextClosed();
        server.requests().next();
    }

    @Test
    void handlerCancellingInsideOnEventGetsNoFurtherEvents() {
        server.enqueue(Reply.eventStream().write("data: 1\n\ndata: 2\n\ndata: 3\n\n").stall());
        CompletableFuture<SseSubscription> self = new CompletableFuture<>();
        RecordingHandler cancelling = new RecordingHandler() {
            @Override
            public void onEvent(SseEvent event) {
                super.onEvent(event);
                self.join().cancel();
            }
        };

        self.complete(client.connect(SseRequest.get(server.url("/events")), FAST, cancelling));

        cancelling.calls.next(Open.class);
        assertThat(cancelling.nextEvent().data()).isEqualTo("1");
        assertThat(cancelling.nextClosed()).isInstanceOf(SseOutcome.Cancelled.class);
        cancelling.calls.assertExhausted();
        server.requests().next();
    }

    private SseSubscription connect(SseRequest request, SseClientOptions options) {
        return client.connect(request, options, handler);
    }

    private static String meter(String name) {
        return MeterSnapshot.key(name, Tag.of("client", "test"));
    }
}
