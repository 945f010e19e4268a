package org.neuralpipeline.upstream.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.ForwardedRequest;
import org.neuralpipeline.upstream.ForwardedResponse;
import org.neuralpipeline.upstream.StreamSink;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamCall;
import org.neuralpipeline.upstream.UpstreamException;

/**
 * The built-in model as an {@link Upstream}: a small trigram model trained at build time on this project's
 * documentation (see docs/BUILTIN-MODEL.md), so the gateway serves chat completions with no model server.
 *
 * <p>How a call runs. {@link #streamChat} captures the caller's Vert.x context and returns at once; on
 * that context it announces the stream ({@code onStart}, one Role per choice), then advances every
 * unfinished choice by one token per tick ({@code n > 1}: choices are interleaved, so the rate is per
 * choice), and after the last Finish sends Usage and {@code onEnd}. Ticks come from Vert.x timers at the
 * configured rate (token k of a choice is due k / rate seconds after the start; a late timer catches up),
 * or, with a rate of 0 or less, as fast as possible in batches of {@value #BATCH} ticks with a
 * {@code runOnContext} between batches so other work on the event loop is never starved. Nothing blocks.
 *
 * <p>Request fields honoured: {@code temperature} (default 1, 0 = greedy), {@code seed}, {@code max_tokens}
 * (default {@value #DEFAULT_MAX_TOKENS}, at most {@value #MAX_COMPLETION_TOKENS}), {@code stop},
 * {@code n}, {@code logprobs} and {@code top_logprobs}; the last user message picks the starting context.
 */
public final class BuiltinUpstream implements Upstream {
    public static final String NAME = "builtin";
    public static final double DEFAULT_TOKENS_PER_SECOND = 30;
    static final int DEFAULT_MAX_TOKENS = 256;
    /** The model's "context window": a longer completion ends with "length" even if more were asked for. */
    static final int MAX_COMPLETION_TOKENS = 4096;
    static final int BATCH = 32;

    private final Vertx vertx;
    private final double tokensPerSecond;
    private final NGramModel model;
    private final InstantSource clock;
    private final LongSupplier nanoTime;
    private final LongSupplier randomLongs;
    private final Set<Generation> running = ConcurrentHashMap.newKeySet();

    /**
     * Loads the model shipped in the jar (once per JVM).
     *
     * @param tokensPerSecond tokens per second per choice; 0 or less (or infinity) streams as fast as possible
     * @throws IllegalStateException when the model file is missing from the classpath or unreadable
     */
    public BuiltinUpstream(Vertx vertx, double tokensPerSecond) {
        this(vertx, tokensPerSecond, ShippedModel.get(), InstantSource.system(), System::nanoTime,
                () -> ThreadLocalRandom.current().nextLong());
    }

    /**
     * @param clock for the {@code created} time of each completion
     * @param nanoTime for pacing ticks (monotonic)
     * @param randomLongs seeds for requests without {@code seed}, and completion ids
     */
    BuiltinUpstream(Vertx vertx, double tokensPerSecond, NGramModel model, InstantSource clock, LongSupplier nanoTime,
            LongSupplier randomLongs) {
        if (Double.isNaN(tokensPerSecond)) {
            throw new IllegalArgumentException("tokensPerSecond: NaN (expected: a number; 0 or less = unpaced)");
        }
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.tokensPerSecond = tokensPerSecond;
        this.model = Objects.requireNonNull(model, "model");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.randomLongs = Objects.requireNonNull(randomLongs, "randomLongs");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Future<List<String>> models() {
        return Future.succeededFuture(List.of(NAME));
    }

    /** @throws IllegalStateException when not called on a Vert.x context */
    @Override
    public UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink) {
        Context caller = Vertx.currentContext();
        if (caller == null) {
            throw new IllegalStateException("BuiltinUpstream.streamChat must be called on a Vert.x context");
        }
        Generation generation = new Generation(request, caller, sink);
        running.add(generation);
        caller.runOnContext(v -> generation.start());
        return generation;
    }

    @Override
    public Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context) {
        return Future.failedFuture(UpstreamException.of(UpstreamException.Kind.UNSUPPORTED,
                "the built-in model serves only /v1/chat/completions", false));
    }

    /** Cancels every running generation. */
    @Override
    public Future<Void> close() {
        List.copyOf(running).forEach(Generation::cancel);
        return Future.succeededFuture();
    }

    /** The sampling parameters of a request, with this upstream's defaults. */
    static ChoiceGenerator.Sampling sampling(ChatRequest request) {
        double temperature = request.temperature() == null ? 1.0 : request.temperature();
        int maxTokens = request.maxTokens() == null ? DEFAULT_MAX_TOKENS : request.maxTokens();
        return new ChoiceGenerator.Sampling(temperature, Math.min(maxTokens, MAX_COMPLETION_TOKENS), request.stop(),
                request.logprobs(), request.logprobs() ? request.topLogprobs() : 0);
    }

    /**
     * Where generation starts: after the last two tokens of the last user message when the model saw that
     * pair, else after its last token alone, else at the start of a paragraph. Trailing spaces and
     * punctuation are skipped so that "What is the gateway?" continues from " the gateway". A first word
     * without its leading space is also tried with one.
     *
     * @return {u, v} for {@link NGramModel#distribution}
     */
    static int[] startContext(NGramModel model, String lastUserMessage) {
        List<String> tokens = new ArrayList<>(Tokenizer.tokenize(lastUserMessage));
        while (!tokens.isEmpty() && !Tokenizer.isWord(tokens.get(tokens.size() - 1))) {
            tokens.remove(tokens.size() - 1);
        }
        if (tokens.isEmpty()) {
            return new int[] {NGramModel.BOS, NGramModel.BOS};
        }
        int v = idWithSpace(model, tokens.get(tokens.size() - 1));
        int u = tokens.size() >= 2 ? idWithSpace(model, tokens.get(tokens.size() - 2)) : NGramModel.NONE;
        if (model.knowsContext(u, v)) {
            return new int[] {u, v};
        }
        if (model.knowsContext(v)) {
            return new int[] {NGramModel.NONE, v};
        }
        return new int[] {NGramModel.BOS, NGramModel.BOS};
    }

    private static int idWithSpace(NGramModel model, String token) {
        int id = model.id(token);
        return id == NGramModel.NONE && !token.startsWith(" ") ? model.id(" " + token) : id;
    }

    /** The text of a message's content: a string, or the {@code text} of each content part. */
    static String text(JsonNode message) {
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            JsonNode t = part.get("text");
            if (t != null && t.isTextual()) {
                text.append(t.asText());
            }
        }
        return text.toString();
    }

    /** One call: its choices, its pacing, its cancellation. Runs on the caller's context only. */
    private final class Generation implements UpstreamCall {
        private final Context context;
        private final StreamSink sink;
        private final List<ChoiceGenerator> choices = new ArrayList<>();
        private final int promptTokens;
        private final String id;
        private volatile boolean cancelled;
        private long timerId = -1;
        private long startNanos;
        private long ticks;
        private boolean delivered;

        Generation(ChatRequest request, Context context, StreamSink sink) {
            this.context = context;
            this.sink = sink;
            JsonNode messages = request.body().path("messages");
            int prompt = 0;
            String lastUser = "";
            for (JsonNode message : messages) {
                String text = text(message);
                prompt += Tokenizer.tokenize(text).size();
                if ("user".equals(message.path("role").asText())) {
                    lastUser = text;
                }
            }
            this.promptTokens = prompt;
            int[] start = startContext(model, lastUser);
            ChoiceGenerator.Sampling sampling = sampling(request);
            // One generator per seed split in choice order: choice 0 of a seeded request is the same
            // whatever n is, and every choice is reproducible.
            SplittableRandom root = new SplittableRandom(request.seed() != null ? request.seed() : randomLongs.getAsLong());
            for (int i = 0; i < request.n(); i++) {
                choices.add(new ChoiceGenerator(model, i, start[0], start[1], sampling, root.split()));
            }
            this.id = "chatcmpl-builtin-" + HexFormat.of().toHexDigits(randomLongs.getAsLong());
        }

        void start() {
            if (cancelled) {
                return;
            }
            try {
                sink.onStart(new StreamSink.StreamStart(id, clock.instant().getEpochSecond(), NAME, null));
                for (int i = 0; i < choices.size(); i++) {
                    deliver(new StreamEvent.Role(i, "assistant"));
                }
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            startNanos = nanoTime.getAsLong();
            if (paced()) {
                scheduleNextTick();
            } else {
                context.runOnContext(v -> batch());
            }
        }

        private boolean paced() {
            return tokensPerSecond > 0 && !Double.isInfinite(tokensPerSecond);
        }

        /** Unpaced: a batch of ticks, then yield the event loop. */
        private void batch() {
            for (int i = 0; i < BATCH; i++) {
                if (!tick()) {
                    return;
                }
            }
            context.runOnContext(v -> batch());
        }

        /**
         * Paced: every tick that is due by now (at least one, at most a batch when the timer was very
         * late), then a timer for the next.
         */
        private void onTimer() {
            timerId = -1;
            long due = (long) ((nanoTime.getAsLong() - startNanos) * tokensPerSecond / 1e9);
            int done = 0;
            do {
                if (!tick()) {
                    return;
                }
            } while (ticks < due && ++done < BATCH);
            scheduleNextTick();
        }

        private void scheduleNextTick() {
            if (cancelled) {
                return;
            }
            long dueNanos = startNanos + (long) ((ticks + 1) * 1e9 / tokensPerSecond);
            long delayMillis = Math.max(1, (dueNanos - nanoTime.getAsLong() + 999_999) / 1_000_000);
            timerId = vertx.setTimer(delayMillis, t -> onTimer());
        }

        /** Advances each unfinished choice by one token; false when the call is over (done or cancelled). */
        private boolean tick() {
            if (cancelled) {
                return false;
            }
            try {
                ticks++;
                boolean all = true;
                for (ChoiceGenerator choice : choices) {
                    if (!choice.finished()) {
                        for (StreamEvent event : choice.step()) {
                            deliver(event);
                        }
                    }
                    all &= choice.finished();
                }
                if (!all || cancelled) {
                    return !cancelled;
                }
                int completion = choices.stream().mapToInt(ChoiceGenerator::completionTokens).sum();
                ObjectNode usage = OpenAiJson.MAPPER.createObjectNode();
                usage.put("prompt_tokens", promptTokens);
                usage.put("completion_tokens", completion);
                usage.put("total_tokens", promptTokens + completion);
                deliver(new StreamEvent.Usage(usage));
                if (!cancelled) {
                    running.remove(this);
                    sink.onEnd();
                }
                return false;
            } catch (RuntimeException e) {
                fail(e);
                return false;
            }
        }

        private void deliver(StreamEvent event) {
            if (!cancelled) {
                delivered = true;
                sink.onEvent(event);
            }
        }

        /** A bug in generation or in the sink: report it once, as the contract asks, and stop. */
        private void fail(RuntimeException e) {
            if (!cancelled) {
                cancelled = true;
                running.remove(this);
                sink.onFailure(UpstreamException.of(UpstreamException.Kind.STREAM_ERROR,
                        "the built-in model failed: " + e, delivered, e));
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            running.remove(this);
            long timer = timerId;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
    }
}
