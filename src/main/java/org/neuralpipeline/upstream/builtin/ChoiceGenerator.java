package org.neuralpipeline.upstream.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.openai.StreamEvent;

/**
 * Generates one choice, one token per {@link #step()}, and turns the tokens into stream events.
 *
 * <p>Stop sequences: a token whose text could be the start of a stop sequence is held back until the
 * following tokens show whether the sequence completes. When it completes (possibly across several tokens)
 * the text before it is released, the token it starts in cut short, and the choice finishes with "stop";
 * otherwise the held tokens are released unchanged. So a client never sees any part of a stop sequence.
 *
 * <p>Not thread-safe; one instance per choice, used on the call's context.
 */
final class ChoiceGenerator {
    private final NGramModel model;
    private final int choice;
    private final Sampling sampling;
    private final SplittableRandom random;
    private final Deque<Pending> held = new ArrayDeque<>();
    private final StringBuilder heldText = new StringBuilder();
    private int u;
    private int v;
    private int generated;
    private boolean finished;

    /** Sampling parameters of one request, already defaulted. */
    record Sampling(double temperature, int maxTokens, List<String> stop, boolean logprobs, int topLogprobs) {
        Sampling {
            stop = stop.stream().filter(s -> !s.isEmpty()).toList();
        }
    }

    /** A sampled token not yet released, with its logprobs object (null when not requested). */
    private record Pending(String text, JsonNode logprobs) {
    }

    /** Starts after the context {@code u v} (see {@link NGramModel#distribution}). */
    ChoiceGenerator(NGramModel model, int choice, int u, int v, Sampling sampling, SplittableRandom random) {
        this.model = model;
        this.choice = choice;
        this.u = u;
        this.v = v;
        this.sampling = sampling;
        this.random = random;
    }

    boolean finished() {
        return finished;
    }

    /** Tokens sampled so far, not counting the end-of-text token (and counting held-back ones). */
    int completionTokens() {
        return generated;
    }

    /** Samples one token; returns the Content events it releases and, at the end, the Finish event. */
    List<StreamEvent> step() {
        if (finished) {
            return List.of();
        }
        List<StreamEvent> events = new ArrayList<>();
        double[] p = model.distribution(u, v);
        int w = sample(p);
        if (w == NGramModel.EOS) {
            release(events, heldText.length(), false);
            return finish(events, "stop");
        }
        generated++;
        String text = model.token(w);
        held.add(new Pending(text, sampling.logprobs() ? logprobs(p, w) : null));
        heldText.append(text);
        u = v;
        v = w;

        int stopAt = firstStop();
        if (stopAt >= 0) {
            release(events, stopAt, true);
            return finish(events, "stop");
        }
        if (generated >= sampling.maxTokens()) {
            release(events, heldText.length(), false);
            return finish(events, "length");
        }
        release(events, heldText.length() - longestStopPrefixSuffix(), false);
        return events;
    }

    /** Greedy at temperature 0; otherwise draws from p^(1/T), renormalised, computed in log space. */
    private int sample(double[] p) {
        if (sampling.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < p.length; i++) {
                if (p[i] > p[best]) {
                    best = i;
                }
            }
            return best;
        }
        double maxLog = Double.NEGATIVE_INFINITY;
        for (double q : p) {
            if (q > 0) {
                maxLog = Math.max(maxLog, Math.log(q));
            }
        }
        double[] weights = new double[p.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            weights[i] = p[i] > 0 ? Math.exp((Math.log(p[i]) - maxLog) / sampling.temperature()) : 0;
            total += weights[i];
        }
        double target = random.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                last = i;
                target -= weights[i];
                if (target < 0) {
                    return i;
                }
            }
        }
        return last; // rounding left a sliver past the end
    }

    /**
     * Releases held tokens that end at or before {@code limit} (an offset in the held text). With
     * {@code cut} (a stop sequence starts at {@code limit}), the token that {@code limit} falls inside is
     * released too, cut short there, still carrying the logprobs of the whole token it was sampled as.
     */
    private void release(List<StreamEvent> events, int limit, boolean cut) {
        int offset = 0;
        while (!held.isEmpty()) {
            Pending next = held.peek();
            int end = offset + next.text().length();
            if (end <= limit) {
                events.add(new StreamEvent.Content(choice, next.text(), next.logprobs()));
            } else {
                if (cut && offset < limit) {
                    events.add(new StreamEvent.Content(choice, next.text().substring(0, limit - offset),
                            next.logprobs()));
                }
                break;
            }
            held.poll();
            offset = end;
        }
        heldText.delete(0, Math.min(offset, heldText.length()));
    }

    private List<StreamEvent> finish(List<StreamEvent> events, String reason) {
        finished = true;
        held.clear();
        heldText.setLength(0);
        events.add(new StreamEvent.Finish(choice, reason));
        return events;
    }

    /** The earliest offset in the held text where a stop sequence starts, or -1. */
    private int firstStop() {
        int first = -1;
        for (String stop : sampling.stop()) {
            int at = heldText.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The length of the longest end of the held text that is the beginning of some stop sequence. */
    private int longestStopPrefixSuffix() {
        int longest = 0;
        for (String stop : sampling.stop()) {
            for (int length = Math.min(stop.length() - 1, heldText.length()); length > longest; length--) {
                if (heldText.substring(heldText.length() - length).equals(stop.substring(0, length))) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }

    /**
     * OpenAI's per-chunk logprobs object for token {@code w}, with the model's own probabilities {@code p}
     * (before temperature): {@code {"content":[{token, logprob, bytes, top_logprobs}], "refusal": null}}.
     */
    private JsonNode logprobs(double[] p, int w) {
        ObjectNode entry = tokenLogprob(w, p[w]);
        ArrayNode top = entry.putArray("top_logprobs");
        for (int id : mostLikely(p, sampling.topLogprobs())) {
            top.add(tokenLogprob(id, p[id]));
        }
        ObjectNode root = OpenAiJson.MAPPER.createObjectNode();
        root.putArray("content").add(entry);
        root.putNull("refusal");
        return root;
    }

    private ObjectNode tokenLogprob(int id, double probability) {
        ObjectNode node = OpenAiJson.MAPPER.createObjectNode();
        String token = model.token(id);
        node.put("token", token);
        node.put("logprob", Math.log(probability));
        ArrayNode bytes = node.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
        return node;
    }

    /** The ids of the k most probable tokens (probability > 0), most likely first, ties by lower id. */
    static int[] mostLikely(double[] p, int k) {
        int[] best = new int[k];
        int size = 0;
        for (int id = 0; id < p.length; id++) {
            if (p[id] <= 0 || (size == k && (k == 0 || p[id] <= p[best[k - 1]]))) {
                continue;
            }
            int at = size < k ? size++ : k - 1;
            while (at > 0 && p[best[at - 1]] < p[id]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = id;
        }
        return Arrays.copyOf(best, size);
    }
}
