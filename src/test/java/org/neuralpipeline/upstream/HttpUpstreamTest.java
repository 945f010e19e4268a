package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.RecordedRequest;
import org.neuralpipeline.testing.Script;

/** {@link HttpUpstream} against a real {@link FakeModelServer} on 127.0.0.1: transcripts, faults, request shape. */
class HttpUpstreamTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static Vertx vertx;
    private static HttpClient client;
    private FakeModelServer server;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
    }

    @AfterAll
    static void stopVertx() {
        await(vertx.close());
    }

    @BeforeEach
    void startServer() {
        server = FakeModelServer.start(vertx);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    // ---- helpers ----

    private HttpUpstream upstream() {
        return new HttpUpstream(new HttpUpstream.Settings("fake", server.baseUrl()), vertx, client);
    }

    private HttpUpstream upstream(String apiKey, List<String> models, boolean requestUsage) {
        return new HttpUpstream(new HttpUpstream.Settings("fake", server.baseUrl(), apiKey, models, requestUsage,
                HttpUpstream.Settings.DEFAULT_CONNECT_TIMEOUT, HttpUpstream.Settings.DEFAULT_MAX_EVENT_BYTES),
                vertx, client);
    }

    private static ChatRequest request(String json) {
        return ChatRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A running call: its sink (checked to run on {@code context}) and the call, once started. */
    private record Running(RecordingSink sink, Context context, CompletableFuture<UpstreamCall> call) {
        void cancel() {
            try {
                UpstreamCall c = call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                context.runOnContext(v -> c.cancel());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        /** Waits until everything queued on the call's context so far has run. */
        void flush() {
            CompletableFuture<Void> done = new CompletableFuture<>();
            context.runOnContext(v -> done.complete(null));
            done.join();
        }
    }

    private static Running start(HttpUpstream upstream, ChatRequest request, CallContext callContext) {
        Context context = vertx.getOrCreateContext();
        RecordingSink sink = new RecordingSink().expectContext(context);
        CompletableFuture<UpstreamCall> call = new CompletableFuture<>();
        context.runOnContext(v -> call.complete(upstream.streamChat(request, callContext, sink)));
        return new Running(sink, context, call);
    }

    private RecordingSink stream(HttpUpstream upstream) {
        return start(upstream, request(CHAT), CallContext.of("req-1")).sink();
    }

    private RecordingSink stream(Script script) {
        server.enqueueChat(script);
        return stream(upstream());
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("future failed: " + e.getCause(), e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Throwable awaitFailure(Future<?> future) {
        try {
            future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---- transcripts ----

    @ParameterizedTest
    @ValueSource(strings = {"openai", "lmstudio", "ollama-old", "ollama-new", "llamacpp", "llamacpp-error",
            "llamacpp-legacy-error", "vllm", "vllm-error", "openai-tools", "ollama-old-tools", "vllm-logprobs",
            "openai-n2"})
    void transcriptBecomesItsCanonicalEvents(String name) {
        RecordingSink sink = stream(Script.transcript(name + ".sse"));

        assertThat(sink.awaitTerminal()).isEqualTo(RecordingSink.expected(name));
        assertThat(sink.problems()).isEmpty();
    }

    @Test
    void transcriptSentOneByteAtATimeGivesTheSameEvents() {
        Script bytewise = Script.sse();
        for (byte b : Script.transcript("openai.sse").bytes()) {
            bytewise.write(new byte[] {b});
        }

        assertThat(stream(bytewise).awaitTerminal()).isEqualTo(RecordingSink.expected("openai"));
    }

    @Test
    void multibyteCharacterSplitAcrossTcpWritesArrivesWhole() {
        RecordingSink sink = stream(Script.transcript("openai.sse").fault(FaultMode.SPLIT_MULTIBYTE));

        assertThat(sink.awaitTerminal()).isEqualTo(RecordingSink.expected("openai"));
    }

    @Test
    void keepAliveCommentsAreSkipped() {
        RecordingSink sink = stream(Script.transcript("vllm.sse").fault(FaultMode.KEEPALIVE_COMMENTS));

        assertThat(sink.awaitTerminal()).isEqualTo(RecordingSink.expected("vllm"));
    }

    @Test
    void completeStreamWithoutDoneEndsNormally() {
        RecordingSink sink = stream(Script.transcript("openai.sse").fault(FaultMode.NO_DONE));

        assertThat(sink.awaitTerminal()).isEqualTo(RecordingSink.expected("openai"));
    }

    @Test
    void jsonAnswerToAStreamRequestIsConvertedToEvents() {
        RecordingSink sink = stream(Script.json(200, "{\"id\":\"chatcmpl-j1\",\"object\":\"chat.completion\","
                + "\"created\":1751800000,\"model\":\"m\",\"system_fingerprint\":\"fp_j\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello!\",\"tool_calls\":[{\"id\":\"call_9\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}}]},"
                + "\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}")
                .header("Content-Type", "application/json; charset=utf-8"));

        assertThat(sink.awaitTerminal()).containsExactly(
                "{\"start\":{\"id\":\"chatcmpl-j1\",\"created\":1751800000,\"model\":\"m\",\"system_fingerprint\":\"fp_j\"}}",
                "{\"role\":{\"choice\":0,\"role\":\"assistant\"}}",
                "{\"content\":{\"choice\":0,\"text\":\"Hello!\",\"logprobs\":null}}",
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":\"call_9\",\"type\":\"function\",\"name\":\"f\","
                        + "\"arguments\":\"{\\\"x\\\":1}\"}}",
                "{\"finish\":{\"choice\":0,\"reason\":\"tool_calls\"}}",
                "{\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}",
                "{\"end\":true}");
        assertThat(sink.problems()).isEmpty();
    }

    @Test
    void jsonErrorWithStatus200IsAStreamError() {
        RecordingSink sink = stream(Script.json(200, "{\"error\":{\"message\":\"model not loaded\",\"type\":\"invalid_request_error\"}}"));

        UpstreamException e = sink.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.STREAM_ERROR);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.getMessage()).isEqualTo("upstream 'fake' reported an error (invalid_request_error): model not loaded");
    }

    // ---- faults ----

    @Test
    void refusedConnectionIsRefused() {
        server.fault(FaultMode.REFUSE);

        UpstreamException e = stream(upstream()).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.REFUSED);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.getMessage()).startsWith("upstream 'fake': cannot connect (");
    }

    @Test
    void connectionClosedBeforeAnsweringIsRefused() {
        UpstreamException e = stream(Script.transcript("openai.sse").fault(FaultMode.REFUSE)).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.REFUSED);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.getMessage()).isEqualTo("upstream 'fake': closed the connection before answering");
    }

    @Test
    void noConnectionWithinTheConnectTimeoutIsTimeout() {
        // one pooled connection, held by a stalled call: the next call waits for a connection and times out
        HttpClient single = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(1));
        HttpUpstream upstream = new HttpUpstream(new HttpUpstream.Settings("fake", server.baseUrl(), null, List.of(),
                true, Duration.ofMillis(200), 1 << 20), vertx, single);
        server.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        Running stalled = start(upstream, request(CHAT), CallContext.of("a"));
        server.takeRequest();

        UpstreamException e = start(upstream, request(CHAT), CallContext.of("b")).sink().awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.getMessage()).startsWith("upstream 'fake': timed out (");
        stalled.cancel();
        await(single.close());
    }

    @Test
    void cancelWhileStalledBeforeHeadersClosesTheConnectionAndCallsNothing() {
        server.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_BEFORE_HEADERS));
        Running running = start(upstream(), request(CHAT), CallContext.of("req-1"));
        RecordedRequest received = server.takeRequest();

        running.cancel();

        received.awaitConnectionClosed(WAIT);
        running.flush();
        assertThat(running.sink().lines()).isEmpty();
        assertThat(running.sink().terminated()).isFalse();
    }

    @Test
    void cancelAfterTheFirstTokenClosesTheConnectionAndStopsCallbacks() {
        server.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.STALL_AFTER_FIRST_TOKEN));
        Running running = start(upstream(), request(CHAT), CallContext.of("req-1"));
        RecordedRequest received = server.takeRequest();
        running.sink().awaitLine("{\"content\"");

        running.cancel();
        running.cancel(); // idempotent

        received.awaitConnectionClosed(WAIT);
        running.flush();
        assertThat(running.sink().lines()).containsExactly(RecordingSink.expected("openai").subList(0, 3)
                .toArray(String[]::new));
        assertThat(running.sink().terminated()).isFalse();
        assertThat(running.sink().problems()).isEmpty();
    }

    @Test
    void cancelBeforeConnectingCallsNothing() {
        Context context = vertx.getOrCreateContext();
        RecordingSink sink = new RecordingSink();
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        context.runOnContext(v -> {
            upstream().streamChat(request(CHAT), CallContext.of("gone"), sink).cancel();
            cancelled.complete(null);
        });
        cancelled.join();

        // a later call on the same server completes, so the cancelled one had every chance to call back
        assertThat(stream(upstream()).awaitTerminal()).isEqualTo(RecordingSink.expected("openai"));
        assertThat(sink.lines()).isEmpty();
    }

    @Test
    void disconnectMidStreamIsAProtocolErrorAfterTheFirstEvent() {
        RecordingSink sink = stream(Script.transcript("openai.sse").fault(FaultMode.DISCONNECT_MID_STREAM));

        UpstreamException e = sink.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
        assertThat(e.afterFirstEvent()).isTrue();
        assertThat(e.getMessage()).startsWith("upstream 'fake': connection lost mid-stream after 2 data events (");
        assertThat(sink.lines()).hasSize(4); // start, role, "Hel", error
    }

    @Test
    void http500IsHttpStatusWithTheBody() {
        server.fault(FaultMode.HTTP_500);

        UpstreamException e = stream(upstream()).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.HTTP_STATUS);
        assertThat(e.status()).isEqualTo(500);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.retryAfterSeconds()).isEqualTo(-1);
        assertThat(e.upstreamBody()).contains("\"type\":\"server_error\"");
        assertThat(e.getMessage()).isEqualTo("upstream 'fake' answered HTTP 500: Internal server error (scripted fault)");
    }

    @Test
    void http429CarriesRetryAfter() {
        server.fault(FaultMode.HTTP_429_WITH_RETRY_AFTER);

        UpstreamException e = stream(upstream()).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.HTTP_STATUS);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfterSeconds()).isEqualTo(7);
        assertThat(e.upstreamBody()).contains("rate_limit_exceeded");
    }

    @Test
    void errorBodyIsCutAt8KiB() {
        String big = "{\"error\":{\"message\":\"" + "x".repeat(20_000) + "\"}}";

        UpstreamException e = stream(Script.json(503, big)).awaitFailure();

        assertThat(e.status()).isEqualTo(503);
        assertThat(e.upstreamBody()).hasSize(HttpUpstream.ERROR_BODY_LIMIT).isEqualTo(big.substring(0, 8192));
        assertThat(e.getMessage()).isEqualTo("upstream 'fake' answered HTTP 503");
    }

    @Test
    void malformedChunkIsAProtocolErrorNamingTheEvent() {
        RecordingSink sink = stream(Script.transcript("openai.sse").fault(FaultMode.MALFORMED_CHUNK));

        UpstreamException e = sink.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
        assertThat(e.afterFirstEvent()).isTrue();
        assertThat(e.getMessage()).startsWith("upstream 'fake': data event 3 is not valid JSON (");
    }

    @Test
    void doneWithoutAFinishReasonIsTruncated() {
        RecordingSink sink = stream(Script.sse()
                .event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"}}]}")
                .done());

        UpstreamException e = sink.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TRUNCATED);
        assertThat(e.afterFirstEvent()).isTrue();
        assertThat(e.getMessage()).isEqualTo("upstream 'fake': [DONE] arrived with no finish_reason for choice 0");
    }

    @Test
    void endOfStreamWithoutAFinishReasonIsTruncated() {
        // Ollama's /v1 after a mid-stream error: the stream just ends (reference section 7)
        RecordingSink cut = stream(Script.sse()
                .event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"}}]}"));

        UpstreamException e = cut.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TRUNCATED);
        assertThat(e.afterFirstEvent()).isTrue();
        assertThat(e.getMessage()).isEqualTo("upstream 'fake': the stream ended with no finish_reason for choice 0");
    }

    @Test
    void roleChunkThenEndIsTruncatedBeforeAnyEvent() {
        RecordingSink sink = stream(Script.sse()
                .event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));

        UpstreamException e = sink.awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TRUNCATED);
        assertThat(e.afterFirstEvent()).as("nothing but a role reached the sink").isFalse();
        assertThat(sink.lines()).hasSize(1);
    }

    @Test
    void emptyStreamIsTruncated() {
        UpstreamException e = stream(Script.sse().done()).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TRUNCATED);
        assertThat(e.getMessage()).isEqualTo("upstream 'fake': [DONE] arrived with no choice started");
    }

    @Test
    void oversizedEventIsAProtocolError() {
        HttpUpstream small = new HttpUpstream(new HttpUpstream.Settings("fake", server.baseUrl(), null, List.of(), true,
                HttpUpstream.Settings.DEFAULT_CONNECT_TIMEOUT, 100), vertx, client);
        server.enqueueChat(Script.transcript("openai.sse"));

        UpstreamException e = stream(small).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
        assertThat(e.afterFirstEvent()).isFalse();
        assertThat(e.getMessage()).startsWith("upstream 'fake': ");
    }

    @Test
    void otherContentTypeIsAProtocolError() {
        UpstreamException e = stream(Script.of(200, "text/html").write("<html>hi</html>")).awaitFailure();

        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
        assertThat(e.getMessage()).isEqualTo("upstream 'fake' answered HTTP 200 with Content-Type 'text/html' "
                + "(expected: text/event-stream or application/json)");
    }

    // ---- the request sent upstream ----

    @Test
    void requestIsAlwaysAStreamWithUsageAndTheRequestId() {
        server.enqueueChat(Script.transcript("openai.sse"));
        start(upstream(), request("{\"model\":\"m\",\"stream\":false,\"temperature\":0.25,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"x_custom\":{\"a\":[1]}}"),
                CallContext.of("req-42")).sink().awaitTerminal();

        RecordedRequest r = server.takeRequest();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.header("Host")).isEqualTo("127.0.0.1:" + server.port());
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.header("Accept")).isEqualTo("text/event-stream");
        assertThat(r.header("X-Request-ID")).isEqualTo("req-42");
        assertThat(r.header("Authorization")).isNull();
        JsonNode body = r.bodyJson();
        assertThat(body.get("stream").booleanValue()).isTrue();
        assertThat(body.at("/stream_options/include_usage").booleanValue()).isTrue();
        assertThat(body.get("temperature").doubleValue()).isEqualTo(0.25);
        assertThat(body.get("x_custom").toString()).isEqualTo("{\"a\":[1]}");
        assertThat(body.at("/messages/0/content").textValue()).isEqualTo("Hi");
    }

    @Test
    void usageIsNotRequestedWhenDisabledForTheUpstream() {
        server.enqueueChat(Script.transcript("openai.sse"));
        stream(upstream(null, List.of(), false)).awaitTerminal();

        JsonNode body = server.takeRequest().bodyJson();
        assertThat(body.get("stream").booleanValue()).isTrue();
        assertThat(body.has("stream_options")).isFalse();
    }

    @Test
    void clientsStreamOptionsAreKeptAndUsageAdded() {
        server.enqueueChat(Script.transcript("openai.sse"));
        start(upstream(), request("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false,"
                + "\"continuous_usage_stats\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"),
                CallContext.of("r")).sink().awaitTerminal();

        assertThat(server.takeRequest().bodyJson().get("stream_options").toString())
                .isEqualTo("{\"include_usage\":true,\"continuous_usage_stats\":true}");
    }

    @Test
    void apiKeyIsSentAsBearerAndReplacesAnyOtherAuthorization() {
        server.enqueueChat(Script.transcript("openai.sse"));
        start(upstream("sk-upstream", List.of(), true), request(CHAT),
                new CallContext("r", Map.of("Authorization", "Bearer client-key", "X-Trace", "t1", "Host", "evil")))
                .sink().awaitTerminal();

        RecordedRequest r = server.takeRequest();
        assertThat(r.headers().getAll("Authorization")).containsExactly("Bearer sk-upstream");
        assertThat(r.header("X-Trace")).isEqualTo("t1");
        assertThat(r.header("Host")).isEqualTo("127.0.0.1:" + server.port());
    }

    @Test
    void settingsNeverShowTheKey() {
        HttpUpstream.Settings settings = new HttpUpstream.Settings("u", "http://h:1/v1/", "sk-secret", List.of(), true,
                Duration.ofSeconds(1), 10);

        assertThat(settings.toString()).doesNotContain("sk-secret").contains("apiKey=****");
        assertThat(settings.baseUrl()).isEqualTo("http://h:1/v1");
    }

    @Test
    void settingsRejectABaseUrlThatIsNotHttp() {
        assertThatThrownBy(() -> new HttpUpstream.Settings("u", "lmstudio:1234"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("baseUrl: \"lmstudio:1234\" (expected: an http:// or https:// URL such as "
                        + "http://127.0.0.1:1234/v1)");
    }

    @Test
    void retryAfterIsReadAsSecondsOrAsADate() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        assertThat(HttpUpstream.retryAfterSeconds("7", now)).isEqualTo(7);
        assertThat(HttpUpstream.retryAfterSeconds("Thu, 01 Jan 2026 00:00:30 GMT", now)).isEqualTo(30);
        assertThat(HttpUpstream.retryAfterSeconds("Wed, 31 Dec 2025 23:00:00 GMT", now)).isZero();
        assertThat(HttpUpstream.retryAfterSeconds("soon", now)).isEqualTo(-1);
        assertThat(HttpUpstream.retryAfterSeconds(null, now)).isEqualTo(-1);
    }

    // ---- backpressure ----

    @Test
    void aPausedCallStopsReadingTheUpstreamUntilResumed() throws Exception {
        Script script = Script.sse().event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}");
        for (int i = 0; i < 5_000; i++) {
            script.event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token " + i
                    + " of a long answer that fills socket buffers\"}}]}");
        }
        script.event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}").done();
        server.enqueueChat(script);

        Context context = vertx.getOrCreateContext();
        java.util.concurrent.atomic.AtomicInteger contents = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<UpstreamCall> call = new java.util.concurrent.atomic.AtomicReference<>();
        CompletableFuture<Void> firstContent = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        StreamSink sink = new StreamSink() {
            @Override
            public void onEvent(StreamEvent event) {
                if (event instanceof StreamEvent.Content && contents.incrementAndGet() == 1) {
                    call.get().pause(); // as the gateway does when its client's write queue is full
                    firstContent.complete(null);
                }
            }

            @Override
            public void onEnd() {
                ended.complete(null);
            }

            @Override
            public void onFailure(UpstreamException failure) {
                ended.completeExceptionally(failure);
            }
        };
        context.runOnContext(v -> call.set(upstream().streamChat(request(CHAT), CallContext.of("req-bp"), sink)));
        firstContent.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        // the rest of the buffer in hand is parsed; after that nothing more is read while paused
        Thread.sleep(300);
        int whilePaused = contents.get();
        Thread.sleep(300);
        assertThat(contents.get()).as("events delivered while paused").isEqualTo(whilePaused);
        assertThat(whilePaused).isLessThan(5_000);
        assertThat(ended).isNotDone();

        context.runOnContext(v -> call.get().resume());
        ended.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(contents.get()).isEqualTo(5_000);
    }

    // ---- models ----

    @Test
    void configuredModelsAreAnnouncedWhileTheServerAnswersAtAll() {
        HttpUpstream upstream = upstream(null, List.of("a", "b"), true);
        assertThat(await(upstream.models())).containsExactly("a", "b");
        assertThat(server.requests(FakeModelServer.MODELS)).hasSize(1);

        server.fault(FaultMode.HTTP_500); // an answer, even an error, proves the server is there
        assertThat(await(upstream.models())).containsExactly("a", "b");

        server.fault(FaultMode.REFUSE);
        assertThat(awaitFailure(upstream.models())).isInstanceOfSatisfying(UpstreamException.class,
                e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.REFUSED));
    }

    @Test
    void discoveredModelsAreAskedAgainOnEveryCallSoNewModelsAppear() {
        server.models("qwen3:8b", "llama3.2:3b");
        HttpUpstream upstream = upstream("sk-k", List.of(), true);
        assertThat(await(upstream.models())).containsExactly("qwen3:8b", "llama3.2:3b");

        server.models("qwen3:8b", "gemma3:4b");
        assertThat(await(upstream.models())).containsExactly("qwen3:8b", "gemma3:4b");

        assertThat(server.requests(FakeModelServer.MODELS)).hasSize(2);
        assertThat(server.requests(FakeModelServer.MODELS).get(0).header("Authorization")).isEqualTo("Bearer sk-k");
    }

    @Test
    void failedDiscoveryIsReportedAndNotCached() {
        HttpUpstream upstream = upstream();
        server.fault(FaultMode.HTTP_500);

        Throwable failure = awaitFailure(upstream.models());
        assertThat(failure).isInstanceOfSatisfying(UpstreamException.class, e -> {
            assertThat(e.kind()).isEqualTo(UpstreamException.Kind.HTTP_STATUS);
            assertThat(e.status()).isEqualTo(500);
        });

        server.fault(null);
        assertThat(await(upstream.models())).containsExactly("fake-model");
        assertThat(server.requests(FakeModelServer.MODELS)).hasSize(2);
    }

    @Test
    void discoveryOfAClosedPortIsRefused() {
        HttpUpstream upstream = upstream();
        server.fault(FaultMode.REFUSE);

        assertThat(awaitFailure(upstream.models())).isInstanceOfSatisfying(UpstreamException.class,
                e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.REFUSED));
    }

    @Test
    void modelListWithoutDataIsAProtocolError() {
        server.respondWith(FakeModelServer.MODELS, Script.json(200, "{\"models\":[]}"));

        assertThat(awaitFailure(upstream().models())).isInstanceOfSatisfying(UpstreamException.class, e -> {
            assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
            assertThat(e.getMessage()).isEqualTo("upstream 'fake': /models has no data[] array");
        });
    }

    // ---- forward ----

    private static String readAll(ForwardedResponse response) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Buffer all = Buffer.buffer();
        response.body().handler(all::appendBuffer);
        response.body().exceptionHandler(text::completeExceptionally);
        response.body().endHandler(v -> text.complete(all.toString(StandardCharsets.UTF_8)));
        response.body().resume();
        return text.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    @Test
    void forwardPassesBodyAndHeadersButNotTheClientsAuthorization() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/json")
                .add("Authorization", "Bearer client-key")
                .add("X-Custom", "1");
        String body = "{\"model\":\"e\",\"input\":\"hello\"}";

        ForwardedResponse response = await(upstream().forward(new ForwardedRequest(HttpMethod.POST, "/embeddings",
                headers, Buffer.buffer(body)), CallContext.of("req-7")));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(readAll(response)).contains("\"embedding\":[0.125,-0.5,0.25]");
        RecordedRequest r = server.takeRequest();
        assertThat(r.path()).isEqualTo("/v1/embeddings");
        assertThat(r.bodyText()).isEqualTo(body);
        assertThat(r.header("X-Custom")).isEqualTo("1");
        assertThat(r.header("X-Request-ID")).isEqualTo("req-7");
        assertThat(r.header("Authorization")).isNull();
    }

    @Test
    void forwardedStreamStaysAStream() {
        ForwardedResponse response = await(upstream().forward(new ForwardedRequest(HttpMethod.POST, "/completions",
                MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{\"model\":\"m\",\"prompt\":\"x\",\"stream\":true}")),
                CallContext.of("r")));

        assertThat(response.headers().get("Content-Type")).isEqualTo("text/event-stream");
        assertThat(response.headers().contains("Transfer-Encoding")).isFalse();
        assertThat(readAll(response)).startsWith("data: {\"id\":\"cmpl-1\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void forwardReturnsUpstreamErrorStatusesAsTheyAre() {
        server.fault(FaultMode.HTTP_429_WITH_RETRY_AFTER);

        ForwardedResponse response = await(upstream().forward(new ForwardedRequest(HttpMethod.POST, "/embeddings",
                MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{}")), CallContext.of("r")));

        assertThat(response.status()).isEqualTo(429);
        assertThat(response.headers().get("Retry-After")).isEqualTo("7");
        assertThat(readAll(response)).contains("rate_limit_exceeded");
    }

    @Test
    void forwardRejectsPathsOutsideTheApiRoot() {
        assertThat(awaitFailure(upstream().forward(new ForwardedRequest(HttpMethod.POST, "/../admin",
                MultiMap.caseInsensitiveMultiMap(), Buffer.buffer()), CallContext.of("r"))))
                .isInstanceOfSatisfying(UpstreamException.class,
                        e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.UNSUPPORTED));
    }

    @Test
    void forwardToAClosedPortIsRefused() {
        server.fault(FaultMode.REFUSE);

        assertThat(awaitFailure(upstream().forward(new ForwardedRequest(HttpMethod.POST, "/embeddings",
                MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{}")), CallContext.of("r"))))
                .isInstanceOfSatisfying(UpstreamException.class,
                        e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.REFUSED));
    }
}
