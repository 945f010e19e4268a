package org.neuralpipeline.visual;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One stream's messages: {@code StreamStarted} at its first token (so an attempt that fails before any token,
 * and is failed over, publishes nothing), a {@code TokenVisualizationUpdate} per token, a
 * {@code NeuralStateUpdate} every {@code broadcast.state_every_tokens} tokens and one at the end, then
 * {@code StreamEnded}. Every value comes from the stream; what the upstream did not report is left out, never
 * made up.
 *
 * <p>Tokens: when the upstream gave logprobs for a fragment, each of its {@code logprobs.content[]} entries is
 * a token (its text, its {@code logprob}, its {@code top_logprobs}); otherwise the fragment is one token. A
 * token's id is the upstream's ({@code id} or {@code token_id} in the entry, or vLLM's
 * {@code "token_id:N"} token text) when present, else {@link TokenSpace#hashId}.
 *
 * <p>Measured, per window of tokens and for the whole stream: tokens per second since the first token,
 * mean probability (exp of each token's logprob) and entropy (−Σ p·ln p in nats over each token's
 * {@code top_logprobs}, a lower bound of the true entropy since only the top candidates are known).
 *
 * <p>Called on the upstream call's context; the methods are synchronized only so that a cancellation from
 * another thread (shutdown) is safe.
 */
public final class StreamVisualizer {
    /** What a token is part of. */
    public enum Kind {
        CONTENT("content"), REASONING("reasoning"), TOOL_CALL("tool_call");

        final String json;

        Kind(String json) {
            this.json = json;
        }
    }

    private static final Pattern VLLM_TOKEN_ID = Pattern.compile("token_id:(\\d{1,10})");

    private final Visualizer shared;
    private final String requestId;
    private final String model;
    private final String upstream;

    private boolean started;
    private boolean ended;
    private long firstNanos;
    private int tokens;
    private int[] positions = new int[1];
    private String finishReason;
    private final Stats window = new Stats();
    private final Stats total = new Stats();

    /** Sums of what was measured; a mean exists only where something was. */
    private static final class Stats {
        double probabilitySum;
        int probabilities;
        double entropySum;
        int entropies;

        void clear() {
            probabilitySum = 0;
            probabilities = 0;
            entropySum = 0;
            entropies = 0;
        }

        Double meanProbability() {
            return probabilities == 0 ? null : probabilitySum / probabilities;
        }

        Double meanEntropy() {
            return entropies == 0 ? null : entropySum / entropies;
        }
    }

    StreamVisualizer(Visualizer shared, String requestId, String model, String upstream) {
        this.shared = shared;
        this.requestId = requestId;
        this.model = model;
        this.upstream = upstream;
    }

    /**
     * A fragment of content, reasoning or a tool call's name and arguments.
     *
     * @param logprobs the upstream's logprobs object for this fragment ({@code {"content":[…]}}), or null
     */
    public synchronized void token(Kind kind, int choice, String text, JsonNode logprobs) {
        if (ended) {
            return;
        }
        JsonNode entries = logprobs == null ? null : logprobs.get("content");
        if (entries != null && entries.isArray() && !entries.isEmpty()) {
            for (JsonNode entry : entries) {
                JsonNode t = entry.get("token");
                String token = t != null && t.isTextual() && !(entries.size() == 1
                        && VLLM_TOKEN_ID.matcher(t.asText()).matches()) ? t.asText() : text;
                emit(kind, choice, token, entry);
            }
        } else if (!text.isEmpty()) {
            emit(kind, choice, text, null);
        }
    }

    /** A choice's finish reason; the stream's is choice 0's (or the first reported). */
    public synchronized void finish(int choice, String reason) {
        if (finishReason == null || choice == 0) {
            finishReason = reason;
        }
    }

    /** The stream completed. */
    public void ended() {
        end("finished", null);
    }

    /** The stream failed; after tokens this is published with the error, before any token not at all. */
    public void failed(String error) {
        end("failed", error);
    }

    /** The client went away or a deadline passed: the gateway cancelled the call. */
    public void cancelled() {
        end("cancelled", null);
    }

    private void emit(Kind kind, int choice, String token, JsonNode entry) {
        long now = shared.nanoTime.getAsLong();
        if (!started) {
            started = true;
            firstNanos = now;
            shared.publisher.publish(new VisualMessages.StreamStarted(shared.timestamp(), requestId, model, upstream));
        }
        tokens++;
        if (choice >= positions.length) {
            positions = Arrays.copyOf(positions, Math.max(choice + 1, positions.length * 2));
        }
        int position = choice >= 0 ? positions[choice]++ : tokens - 1;

        long id = upstreamId(entry);
        String idSource = "upstream";
        if (id < 0) {
            id = shared.space.hashId(token);
            idSource = "hash";
        }
        double[] xy = shared.space.position(id);

        double activation = 1.0;
        String activationSource = "none";
        JsonNode logprob = entry == null ? null : entry.get("logprob");
        if (logprob != null && logprob.isNumber()) {
            activation = Math.exp(logprob.asDouble());
            activationSource = "logprob";
            window.probabilitySum += activation;
            window.probabilities++;
            total.probabilitySum += activation;
            total.probabilities++;
        }
        Double entropy = entropy(entry == null ? null : entry.get("top_logprobs"));
        if (entropy != null) {
            window.entropySum += entropy;
            window.entropies++;
            total.entropySum += entropy;
            total.entropies++;
        }
        shared.publisher.publish(new VisualMessages.TokenUpdate(shared.timestamp(), token, id, idSource, xy[0], xy[1],
                activation, activationSource, position, choice, kind.json, requestId, model, upstream));
        if (tokens % shared.stateEveryTokens == 0) {
            publishState(window, null, false, now);
            window.clear();
        }
    }

    private synchronized void end(String outcome, String error) {
        if (ended) {
            return;
        }
        ended = true;
        if (!started) {
            return;
        }
        long now = shared.nanoTime.getAsLong();
        publishState(total, finishReason, true, now);
        shared.publisher.publish(new VisualMessages.StreamEnded(shared.timestamp(), requestId, model, upstream,
                outcome, outcome.equals("finished") ? finishReason : null, error, tokens, (now - firstNanos) / 1e9));
    }

    private void publishState(Stats stats, String finish, boolean last, long now) {
        double seconds = (now - firstNanos) / 1e9;
        Double rate = tokens > 1 && seconds > 0 ? (tokens - 1) / seconds : null;
        shared.publisher.publish(new VisualMessages.StateUpdate(shared.timestamp(), upstream, requestId, model, tokens,
                rate, stats.meanProbability(), stats.meanEntropy(), finish, last));
    }

    /** The upstream's id for this token, or -1. */
    static long upstreamId(JsonNode entry) {
        if (entry == null) {
            return -1;
        }
        for (String field : new String[] {"id", "token_id"}) {
            JsonNode id = entry.get(field);
            if (id != null && id.canConvertToLong() && id.isIntegralNumber() && id.asLong() >= 0) {
                return id.asLong();
            }
        }
        JsonNode token = entry.get("token");
        if (token != null && token.isTextual()) {
            Matcher m = VLLM_TOKEN_ID.matcher(token.asText());
            if (m.matches()) {
                return Long.parseLong(m.group(1));
            }
        }
        return -1;
    }

    /** −Σ p·ln p over the candidates, in nats; null when there are none. */
    static Double entropy(JsonNode topLogprobs) {
        if (topLogprobs == null || !topLogprobs.isArray() || topLogprobs.isEmpty()) {
            return null;
        }
        double h = 0;
        int n = 0;
        for (JsonNode candidate : topLogprobs) {
            JsonNode lp = candidate.get("logprob");
            if (lp != null && lp.isNumber()) {
                double p = Math.exp(lp.asDouble());
                if (p > 0) {
                    h -= p * Math.log(p);
                }
                n++;
            }
        }
        return n == 0 ? null : h;
    }
}
