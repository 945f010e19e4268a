package org.neuralpipeline.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.neuralpipeline.sse.SseEvent;

/**
 * OpenAI-style chat completion streams, back to back, as {@code /v1/chat/completions?stream=true} sends
 * them: LF line endings, one {@code data:} line per event, for each completion a role chunk, content
 * chunks of one token each, a finish chunk, a usage chunk when the request asked for one, then
 * {@code data: [DONE]}. Token text is JSON-escaped ({@code \n}, {@code \"}, {@code \\}, {@code \t}); non-ASCII
 * text is sent as raw UTF-8, as OpenAI, vLLM and llama.cpp do.
 */
final class OpenAiCorpus {
    static final long SEED = 0x5EED_0A1L;

    private static final String[] MODELS = {
        "gpt-4o-mini-2024-07-18", "llama-3.1-8b-instruct", "qwen2.5-7b-instruct-q4_k_m", "mistral-nemo-instruct-2407",
    };
    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final SplittableRandom random;
    private final Tokens tokens;
    private final ByteSink out;
    private final ByteSink allData = new ByteSink(1 << 20);
    private int[] dataEnds = new int[1 << 16];
    private final StringBuilder json = new StringBuilder(512);
    private int events;
    private long checksum = 17;
    private long ownBytes;

    private OpenAiCorpus(long seed, int minBytes) {
        random = new SplittableRandom(seed);
        tokens = new Tokens(random);
        out = new ByteSink(minBytes + (1 << 20));
    }

    static Corpus generate(long seed, int minBytes) {
        OpenAiCorpus g = new OpenAiCorpus(seed, minBytes);
        long created = 1_727_000_000L;
        while (g.out.size() < minBytes) {
            created += 1 + g.random.nextInt(30);
            g.completion(created);
        }
        return new Corpus("openai", g.out.toByteArray(), g.events, g.checksum, g.ownBytes, 0,
                g.allData.toByteArray(), Arrays.copyOf(g.dataEnds, g.events));
    }

    private void completion(long created) {
        tokens.newCompletion();
        String head = "{\"id\":\"chatcmpl-" + randomId(29) + "\",\"object\":\"chat.completion.chunk\",\"created\":"
                + created + ",\"model\":\"" + MODELS[random.nextInt(MODELS.length)] + "\",\"system_fingerprint\":"
                + (random.nextInt(4) == 0 ? "null" : "\"fp_" + randomHex(10) + "\"") + ",\"choices\":";
        boolean usage = random.nextBoolean();
        String tail = usage ? ",\"usage\":null}" : "}";
        // completions are 10 to ~1000 tokens, most of them short
        int contentChunks = 10 + (int) Math.exp(random.nextDouble() * Math.log(1000));

        json.setLength(0);
        json.append(head).append("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},")
                .append("\"logprobs\":null,\"finish_reason\":null}]").append(tail);
        event(json.toString());
        for (int i = 0; i < contentChunks; i++) {
            json.setLength(0);
            json.append(head).append("[{\"index\":0,\"delta\":{\"content\":\"");
            appendEscaped(tokens.next());
            json.append("\"},\"logprobs\":null,\"finish_reason\":null}]").append(tail);
            event(json.toString());
        }
        json.setLength(0);
        json.append(head).append("[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"")
                .append(random.nextInt(10) == 0 ? "length" : "stop").append("\"}]").append(tail);
        event(json.toString());
        if (usage) {
            int prompt = 5 + random.nextInt(2000);
            json.setLength(0);
            json.append(head).append("[],\"usage\":{\"prompt_tokens\":").append(prompt)
                    .append(",\"completion_tokens\":").append(contentChunks)
                    .append(",\"total_tokens\":").append(prompt + contentChunks).append("}}");
            event(json.toString());
        }
        event("[DONE]");
    }

    private void event(String data) {
        out.ascii("data: ").utf8(data).ascii("\n\n");
        recordData(data);
        events++;
        checksum = EventChecksum.mix(checksum, SseEvent.DEFAULT_TYPE, data, "");
        ownBytes += EventChecksum.SSE_EVENT_BYTES + EventChecksum.retainedSize(data);
    }

    /** Appends one dispatched event's data to {@link Corpus#data()}. */
    private void recordData(String value) {
        allData.utf8(value);
        if (events == dataEnds.length) {
            dataEnds = Arrays.copyOf(dataEnds, 2 * events);
        }
        dataEnds[events] = allData.size();
    }

    private void appendEscaped(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\t' -> json.append("\\t");
                case '\r' -> json.append("\\r");
                default -> json.append(c);
            }
        }
    }

    private String randomId(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
        }
        return sb.toString();
    }

    private String randomHex(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(Character.forDigit(random.nextInt(16), 16));
        }
        return sb.toString();
    }
}
