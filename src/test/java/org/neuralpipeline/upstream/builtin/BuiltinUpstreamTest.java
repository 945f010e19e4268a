package org.neuralpipeline.upstream.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.openai.StreamEvent.Content;
import org.neuralpipeline.openai.StreamEvent.Finish;
import org.neuralpipeline.openai.StreamEvent.Role;
import org.neuralpipeline.openai.StreamEvent.Usage;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.ForwardedRequest;
import org.neuralpipeline.upstream.StreamSink;
import org.neuralpipeline.upstream.UpstreamCall;
import org.neuralpipeline.upstream.UpstreamException;
import org.neuralpipeline.upstream.builtin.BuiltinModelTrainer.Document;

class BuiltinUpstreamTest {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochSecond(1_700_000_000));
    /** Forty distinct words in one paragraph: greedy decoding recites them, so lengths are predictable. */
    private static final String ALPHABET = IntStream.rangeClosed(1, 40).mapToObj(i -> "w" + i)
            .collect(Collectors.joining(" "));
    private static final NGramModel RECITER = BuiltinModelTrainer.train(List.of(new Document("t.md", ALPHABET)));
    private static final NGramModel SHIPPED = ShippedModel.get();

    private static Vertx vertx;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static BuiltinUpstream upstream(NGramModel model, double tokensPerSecond) {
        AtomicLong randoms = new AtomicLong(42);
        return new BuiltinUpstream(vertx, tokensPerSecond, model, CLOCK, System::nanoTime, randoms::incrementAndGet);
    }

    private static ChatRequest request(String json) {
        return ChatRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ChatRequest chat(String userMessage, String extraFields) {
        return request("{\"model\":\"builtin\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + userMessage + "\"}]" + (extraFields.isEmpty() ? "" : "," + extraFields) + "}");
    }

    /** Records a call's callbacks, as they happen on the event loop. */
    static final class Recording implements StreamSink {
        final List<Object> calls = new CopyOnWriteArrayList<>();
        final CompletableFuture<Recording> done = new CompletableFuture<>();
        Consumer<StreamEvent> onEachEvent = e -> { };
        volatile StreamStart start;

        @Override
        public void onStart(StreamStart start) {
            this.start = start;
            calls.add(start);
        }

        @Override
        public void onEvent(StreamEvent event) {
            assertThat(Vertx.currentContext()).as("events arrive on a Vert.x context").isNotNull();
            calls.add(event);
            onEachEvent.accept(event);
        }

        @Override
        public void onEnd() {
            calls.add("end");
            done.complete(this);
        }

        @Override
        public void onFailure(UpstreamException failure) {
            calls.add(failure);
            done.completeExceptionally(failure);
        }

        List<StreamEvent> events() {
            return calls.stream().filter(StreamEvent.class::isInstance).map(StreamEvent.class::cast).toList();
        }

        List<Content> contents(int choice) {
            return events().stream().filter(e -> e instanceof Content c && c.choice() == choice)
                    .map(Content.class::cast).toList();
        }

        String text(int choice) {
            return contents(choice).stream().map(Content::text).collect(Collectors.joining());
        }

        Finish finish(int choice) {
            return events().stream().filter(e -> e instanceof Finish f && f.choice() == choice)
                    .map(Finish.class::cast).findFirst().orElseThrow();
        }

        JsonNode usage() {
            return events().stream().filter(Usage.class::isInstance).map(e -> ((Usage) e).usage()).findFirst()
                    .orElseThrow();
        }
    }

    /** Starts a call on an event loop and returns it with its recording. */
    private static UpstreamCall start(BuiltinUpstream upstream, ChatRequest request, Recording recording)
            throws Exception {
        CompletableFuture<UpstreamCall> call = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v ->
                call.complete(upstream.streamChat(request, CallContext.of("req-1"), recording)));
        return call.get(5, TimeUnit.SECONDS);
    }

    private static Recording run(BuiltinUpstream upstream, ChatRequest request) throws Exception {
        Recording recording = new Recording();
        start(upstream, request, recording);
        return recording.done.get(10, TimeUnit.SECONDS);
    }

    private static void waitMillis(long millis) throws Exception {
        vertx.timer(millis).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void streamsStartRoleContentFinishUsageThenEnd() throws Exception {
        Recording r = run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":3"));
        assertThat(r.calls.get(0)).isInstanceOf(StreamSink.StreamStart.class);
        assertThat(r.start.id()).startsWith("chatcmpl-");
        assertThat(r.start.created()).isEqualTo(1_700_000_000L);
        assertThat(r.start.model()).isEqualTo("builtin");
        assertThat(r.calls.get(1)).isEqualTo(new Role(0, "assistant"));
        List<Object> rest = r.calls.subList(2, r.calls.size());
        int contents = (int) rest.stream().filter(Content.class::isInstance).count();
        assertThat(contents).isPositive();
        assertThat(rest.subList(0, contents)).allMatch(Content.class::isInstance);
        assertThat(rest.get(contents)).isInstanceOf(Finish.class);
        assertThat(rest.get(contents + 1)).isInstanceOf(Usage.class);
        assertThat(rest.get(contents + 2)).isEqualTo("end");
        assertThat(rest).hasSize(contents + 3);
    }

    @Test
    void sameSeedGivesIdenticalTokensAndLogprobs() throws Exception {
        ChatRequest request = chat("Tell me about the gateway", "\"seed\":7,\"temperature\":1.0,\"logprobs\":true,"
                + "\"top_logprobs\":3");
        Recording first = run(upstream(SHIPPED, 0), request);
        Recording second = run(upstream(SHIPPED, 0), request);
        assertThat(first.contents(0)).isNotEmpty().isEqualTo(second.contents(0));
    }

    @Test
    void differentSeedsGiveDifferentText() throws Exception {
        Set<String> texts = new HashSet<>();
        for (int seed = 1; seed <= 5; seed++) {
            texts.add(run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":" + seed + ",\"temperature\":1.0")).text(0));
        }
        assertThat(texts).as("texts of seeds 1-5").hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void temperatureZeroIsDeterministicWithoutASeed() throws Exception {
        ChatRequest request = chat("What does the gateway do?", "\"temperature\":0,\"max_tokens\":30");
        BuiltinUpstream upstream = new BuiltinUpstream(vertx, 0); // real randomness: no seed given
        assertThat(run(upstream, request).text(0)).isNotEmpty().isEqualTo(run(upstream, request).text(0));
    }

    @Test
    void maxTokensEndsTheChoiceWithLength() throws Exception {
        Recording r = run(upstream(RECITER, 0), chat("hi", "\"temperature\":0,\"max_tokens\":12"));
        assertThat(r.contents(0)).hasSize(12);
        assertThat(r.text(0)).isEqualTo("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12");
        assertThat(r.finish(0).reason()).isEqualTo("length");
    }

    @Test
    void endOfTextEndsTheChoiceWithStop() throws Exception {
        Recording r = run(upstream(RECITER, 0), chat("hi", "\"temperature\":0"));
        assertThat(r.text(0)).isEqualTo(ALPHABET);
        assertThat(r.finish(0).reason()).isEqualTo("stop");
    }

    @Test
    void stopSequenceSpanningTwoTokensTruncatesBeforeIt() throws Exception {
        // " w4" and " w5" are two tokens; "4 w" spans them.
        Recording r = run(upstream(RECITER, 0), chat("hi", "\"temperature\":0,\"stop\":[\"zzz\",\"4 w\"]"));
        assertThat(r.text(0)).isEqualTo("w1 w2 w3 w");
        assertThat(r.finish(0).reason()).isEqualTo("stop");
        assertThat(r.contents(0)).extracting(Content::text).containsExactly("w1", " w2", " w3", " w");
    }

    @Test
    void stopSequenceInTheShippedModelsOutputTruncatesBeforeItsFirstOccurrence() throws Exception {
        ChatRequest free = chat("Hello", "\"temperature\":0,\"max_tokens\":40");
        Recording reference = run(upstream(SHIPPED, 0), free);
        List<Content> tokens = reference.contents(0);
        assertThat(tokens).hasSizeGreaterThan(3);
        // A stop sequence made of the end of token 2 and the start of token 3.
        String left = tokens.get(1).text();
        String right = tokens.get(2).text();
        String stop = left.substring(Math.max(0, left.length() - 2)) + right.substring(0, Math.min(2, right.length()));
        String expected = reference.text(0).substring(0, reference.text(0).indexOf(stop));
        Recording stopped = run(upstream(SHIPPED, 0), chat("Hello", "\"temperature\":0,\"max_tokens\":40,"
                + "\"stop\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(stop)));
        assertThat(stopped.text(0)).isEqualTo(expected);
        assertThat(stopped.finish(0).reason()).isEqualTo("stop");
    }

    @Test
    void heldBackTextIsReleasedWhenTheStopSequenceDoesNotComplete() throws Exception {
        Recording r = run(upstream(RECITER, 0), chat("hi", "\"temperature\":0,\"max_tokens\":6,\"stop\":\"w3 w9\""));
        assertThat(r.text(0)).isEqualTo("w1 w2 w3 w4 w5 w6");
        assertThat(r.contents(0)).hasSize(6);
        assertThat(r.finish(0).reason()).isEqualTo("length");
    }

    @Test
    void logprobsAreTheModelsOwnProbabilitiesBeforeTemperature() throws Exception {
        Recording r = run(upstream(SHIPPED, 0), chat("?", "\"seed\":11,\"temperature\":0.7,\"max_tokens\":25,"
                + "\"logprobs\":true,\"top_logprobs\":5"));
        int u = NGramModel.BOS;
        int v = NGramModel.BOS; // "?" has no word: generation starts a paragraph
        assertThat(r.contents(0)).isNotEmpty();
        for (Content content : r.contents(0)) {
            double[] p = SHIPPED.distribution(u, v);
            JsonNode entry = content.logprobs().get("content").get(0);
            assertThat(content.logprobs().get("content")).hasSize(1);
            assertThat(content.logprobs().get("refusal").isNull()).isTrue();
            String token = entry.get("token").asText();
            assertThat(token).isEqualTo(content.text());
            int w = SHIPPED.id(token);
            assertThat(entry.get("logprob").asDouble()).isEqualTo(Math.log(p[w]));
            assertThat(bytes(entry.get("bytes"))).isEqualTo(token.getBytes(StandardCharsets.UTF_8));
            JsonNode top = entry.get("top_logprobs");
            assertThat(top).hasSize(5);
            List<Double> topValues = new ArrayList<>();
            for (JsonNode alternative : top) {
                int id = SHIPPED.id(alternative.get("token").asText());
                assertThat(alternative.get("logprob").asDouble()).isEqualTo(Math.log(p[id]));
                assertThat(bytes(alternative.get("bytes")))
                        .isEqualTo(alternative.get("token").asText().getBytes(StandardCharsets.UTF_8));
                topValues.add(alternative.get("logprob").asDouble());
            }
            List<Double> fiveHighest = Arrays.stream(p).boxed().sorted(Comparator.reverseOrder()).limit(5)
                    .map(Math::log).toList();
            assertThat(topValues).isEqualTo(fiveHighest);
            u = v;
            v = w;
        }
    }

    @Test
    void topLogprobsZeroGivesAnEmptyListAndNoLogprobsGivesNull() throws Exception {
        Recording withLogprobs = run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":1,\"logprobs\":true"));
        assertThat(withLogprobs.contents(0)).allSatisfy(c ->
                assertThat(c.logprobs().get("content").get(0).get("top_logprobs")).isEmpty());
        Recording without = run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":1"));
        assertThat(without.contents(0)).isNotEmpty().allSatisfy(c -> assertThat(c.logprobs()).isNull());
        assertThat(without.text(0)).isEqualTo(withLogprobs.text(0));
    }

    @Test
    void usageCountsPromptTokensOfEveryMessageAndGeneratedTokens() throws Exception {
        ChatRequest request = request("""
                {"model":"builtin","seed":5,"n":2,"messages":[
                  {"role":"system","content":"You are terse."},
                  {"role":"user","content":[{"type":"text","text":"Hello, gateway"}]}]}""");
        Recording r = run(upstream(SHIPPED, 0), request);
        int prompt = Tokenizer.tokenize("You are terse.").size() + Tokenizer.tokenize("Hello, gateway").size();
        int completion = r.contents(0).size() + r.contents(1).size();
        assertThat(r.usage().get("prompt_tokens").asInt()).isEqualTo(prompt).isEqualTo(7);
        assertThat(r.usage().get("completion_tokens").asInt()).isEqualTo(completion);
        assertThat(r.usage().get("total_tokens").asInt()).isEqualTo(prompt + completion);
    }

    @Test
    void nChoicesAreIndependentAndChoiceZeroMatchesASingleChoice() throws Exception {
        Recording three = run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":9,\"n\":3,\"max_tokens\":30"));
        Recording one = run(upstream(SHIPPED, 0), chat("Hello", "\"seed\":9,\"max_tokens\":30"));
        for (int i = 0; i < 3; i++) {
            assertThat(three.events()).contains(new Role(i, "assistant"));
            assertThat(three.finish(i).reason()).isIn("stop", "length");
        }
        assertThat(three.text(0)).isEqualTo(one.text(0));
        assertThat(Set.of(three.text(0), three.text(1), three.text(2))).hasSizeGreaterThan(1);
        // Usage comes once, after every choice finished.
        int lastFinish = 0;
        for (int i = 0; i < three.calls.size(); i++) {
            lastFinish = three.calls.get(i) instanceof Finish ? i : lastFinish;
        }
        assertThat(three.calls.get(lastFinish + 1)).isInstanceOf(Usage.class);
    }

    @Test
    void thePromptsLastWordsConditionWhatFollows() throws Exception {
        Recording r = run(upstream(RECITER, 0), chat("please go on from w7 w8?", "\"temperature\":0,\"max_tokens\":3"));
        assertThat(r.text(0)).isEqualTo(" w9 w10 w11");
        assertThat(BuiltinUpstream.startContext(RECITER, "w7")).containsExactly(NGramModel.NONE, RECITER.id(" w7"));
        assertThat(BuiltinUpstream.startContext(RECITER, "unknown words")).containsExactly(NGramModel.BOS,
                NGramModel.BOS);
        assertThat(BuiltinUpstream.startContext(RECITER, "about w3 w4 ...")).containsExactly(RECITER.id(" w3"),
                RECITER.id(" w4"));
    }

    @Test
    void cancelStopsEventsImmediately() throws Exception {
        Recording r = new Recording();
        AtomicReference<UpstreamCall> call = new AtomicReference<>();
        AtomicInteger contents = new AtomicInteger();
        r.onEachEvent = e -> {
            if (e instanceof Content && contents.incrementAndGet() == 3) {
                call.get().cancel();
            }
        };
        CompletableFuture<Void> started = new CompletableFuture<>();
        BuiltinUpstream upstream = upstream(RECITER, 0);
        vertx.getOrCreateContext().runOnContext(v -> {
            call.set(upstream.streamChat(chat("hi", "\"temperature\":0"), CallContext.of("r"), r));
            started.complete(null);
        });
        started.get(5, TimeUnit.SECONDS);
        waitMillis(300);
        assertThat(r.contents(0)).hasSize(3);
        assertThat(r.calls).noneMatch(c -> c instanceof Finish || "end".equals(c) || c instanceof UpstreamException);
    }

    @Test
    void cancelDuringOneChoicesTokenSkipsTheOtherChoicesOfThatTick() throws Exception {
        Recording r = new Recording();
        AtomicReference<UpstreamCall> call = new AtomicReference<>();
        r.onEachEvent = e -> {
            if (e instanceof Content c && c.choice() == 0) {
                call.get().cancel();
            }
        };
        CompletableFuture<Void> started = new CompletableFuture<>();
        BuiltinUpstream upstream = upstream(RECITER, 0);
        vertx.getOrCreateContext().runOnContext(v -> {
            call.set(upstream.streamChat(chat("hi", "\"temperature\":0,\"n\":3"), CallContext.of("r"), r));
            started.complete(null);
        });
        started.get(5, TimeUnit.SECONDS);
        waitMillis(200);
        assertThat(r.events()).filteredOn(Content.class::isInstance).containsExactly(new Content(0, "w1", null));
    }

    @Test
    void cancelBeforeTheFirstCallbackMeansNoCallbackAtAll() throws Exception {
        Recording r = new Recording();
        BuiltinUpstream upstream = upstream(RECITER, 50);
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> {
            upstream.streamChat(chat("hi", ""), CallContext.of("r"), r).cancel();
            cancelled.complete(null);
        });
        cancelled.get(5, TimeUnit.SECONDS);
        waitMillis(200);
        assertThat(r.calls).isEmpty();
    }

    @Test
    void closeCancelsRunningCalls() throws Exception {
        BuiltinUpstream upstream = upstream(RECITER, 100);
        Recording r = new Recording();
        r.onEachEvent = e -> {
            if (e instanceof Content) {
                upstream.close();
            }
        };
        start(upstream, chat("hi", "\"temperature\":0"), r);
        waitMillis(300);
        assertThat(r.contents(0)).hasSize(1);
        assertThat(r.calls).doesNotContain("end");
    }

    @Test
    void tokensArePacedAtTheConfiguredRate() throws Exception {
        long started = System.nanoTime();
        Recording r = run(upstream(RECITER, 50), chat("hi", "\"temperature\":0,\"max_tokens\":20"));
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(r.contents(0)).hasSize(20);
        assertThat(seconds).as("20 tokens at 50/s take about 0.4 s").isGreaterThanOrEqualTo(0.3);
    }

    @Test
    void unpacedStreamingYieldsTheEventLoopBetweenBatches() throws Exception {
        // A task queued on the same context while a long unpaced generation runs gets its turn before the end.
        Recording r = new Recording();
        String words = IntStream.rangeClosed(1, 300).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
        BuiltinUpstream upstream = upstream(BuiltinModelTrainer.train(List.of(new Document("t.md", words))), 0);
        io.vertx.core.Context context = vertx.getOrCreateContext();
        CompletableFuture<Integer> contentsWhenOtherTaskRan = new CompletableFuture<>();
        context.runOnContext(v -> {
            upstream.streamChat(chat("hi", "\"temperature\":0,\"max_tokens\":300"), CallContext.of("r"), r);
            context.runOnContext(w -> context.runOnContext(x -> contentsWhenOtherTaskRan.complete(r.contents(0).size())));
        });
        r.done.get(10, TimeUnit.SECONDS);
        int total = r.contents(0).size();
        assertThat(total).isEqualTo(300);
        assertThat(contentsWhenOtherTaskRan.get(5, TimeUnit.SECONDS)).isLessThan(total);
    }

    @Test
    void streamChatRequiresAVertxContext() {
        BuiltinUpstream upstream = upstream(SHIPPED, 0);
        assertThatThrownBy(() -> upstream.streamChat(chat("hi", ""), CallContext.of("r"), new Recording()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Vert.x context");
    }

    @Test
    void servesOnlyChatCompletions() throws Exception {
        BuiltinUpstream upstream = new BuiltinUpstream(vertx, 30);
        assertThat(upstream.name()).isEqualTo("builtin");
        assertThat(upstream.models().toCompletionStage().toCompletableFuture().get(1, TimeUnit.SECONDS))
                .containsExactly("builtin");
        Throwable failure = upstream.forward(new ForwardedRequest(HttpMethod.POST, "/embeddings",
                io.vertx.core.MultiMap.caseInsensitiveMultiMap(), io.vertx.core.buffer.Buffer.buffer("{}")),
                CallContext.of("r")).cause();
        assertThat(failure).isInstanceOf(UpstreamException.class)
                .hasMessage("the built-in model serves only /v1/chat/completions");
        assertThat(((UpstreamException) failure).kind()).isEqualTo(UpstreamException.Kind.UNSUPPORTED);
        assertThat(((UpstreamException) failure).afterFirstEvent()).isFalse();
    }

    @Test
    void defaultsAreTemperatureOneAnd256TokensCappedAtTheContextWindow() {
        ChoiceGenerator.Sampling defaults = BuiltinUpstream.sampling(chat("hi", ""));
        assertThat(defaults.temperature()).isCloseTo(1.0, within(0.0));
        assertThat(defaults.maxTokens()).isEqualTo(256);
        assertThat(BuiltinUpstream.sampling(chat("hi", "\"max_tokens\":100000")).maxTokens())
                .isEqualTo(BuiltinUpstream.MAX_COMPLETION_TOKENS);
    }

    private static byte[] bytes(JsonNode array) {
        byte[] bytes = new byte[array.size()];
        for (int i = 0; i < bytes.length; i++) {
            int b = array.get(i).asInt();
            assertThat(b).isBetween(0, 255);
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
