package org.neuralpipeline.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.List;

/**
 * Reads the chunk nearly every token of every stream arrives in — one choice whose delta has at most a role
 * and a content string, a finish reason or none, no logprobs, no usage — straight from the JSON tokens,
 * without building a tree. Parsing each chunk into a {@code JsonNode} tree was the largest single cost of
 * relaying a token (a fifth of the event loop's time in the gateway benchmark, docs/BENCHMARKS.md).
 *
 * <p>It is only a fast path: {@link #read} says false for anything else — another field, another type, a
 * second choice, a duplicate key, invalid JSON — and the caller then reads the chunk as a tree, which knows
 * every rule and every error. What it reads is handed to the same rules the tree reader uses
 * ({@code DialectNormalizer.acceptDelta}); a test feeds every recorded transcript through both readers and
 * compares the events. Strings follow the tree reader's {@code text()}: {@code null} and {@code ""} are "none".
 *
 * <p>One per stream, reused for each chunk; not thread-safe.
 */
final class ContentChunk {
    // fields of the chunk seen so far, one bit each, for duplicates (the tree reader rejects them)
    private static final int ID = 1;
    private static final int OBJECT = 1 << 1;
    private static final int CREATED = 1 << 2;
    private static final int MODEL = 1 << 3;
    private static final int FINGERPRINT = 1 << 4;
    private static final int USAGE = 1 << 5;
    private static final int CHOICES = 1 << 6;
    private static final int INDEX = 1 << 7;
    private static final int DELTA = 1 << 8;
    private static final int LOGPROBS = 1 << 9;
    private static final int FINISH = 1 << 10;
    private static final int ROLE = 1 << 11;
    private static final int CONTENT = 1 << 12;
    private static final int SKIPPED = 1 << 13; // the first of the skipped fields' bits

    /**
     * Duplicate keys are found by {@link #first} (every field this reads or skips has a bit), so the parser need
     * not look for them: Jackson's strict duplicate detection, which the shared mapper has on, keeps a hash set
     * per object and cost more than the rest of the parse.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build();
    private static final List<String> SKIPPED_FIELDS = List.of(
            // dropped by the tree reader too (DialectNormalizer's "dropped on purpose" list)
            "service_tier", "obfuscation", "moderation", "prompt_token_ids", "timings", "__verbose",
            "stop_reason", "token_ids", // in the choice (vLLM)
            "refusal"); // in the delta: no canonical event for it yet

    String id;
    /** 0 when absent or null, as the tree reader treats it. */
    long created;
    String model;
    String fingerprint;
    int index;
    String role;
    String content;
    String finishReason;

    private int seen;
    private boolean metadata;

    /**
     * Reads {@code data}; false when it is not the plain shape (the fields are then meaningless).
     *
     * @param metadata whether {@link #id}, {@link #model} and {@link #fingerprint} are wanted (only until the
     *     stream's start is delivered); they are checked either way
     */
    boolean read(String data, boolean metadata) {
        this.metadata = metadata;
        id = null;
        created = 0;
        model = null;
        fingerprint = null;
        index = 0;
        role = null;
        content = null;
        finishReason = null;
        seen = 0;
        try (JsonParser p = JSON.createParser(data)) {
            return p.nextToken() == JsonToken.START_OBJECT && chunk(p) && p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false; // the tree reader will say what is wrong with it
        }
    }

    private boolean chunk(JsonParser p) throws IOException {
        String name;
        while ((name = p.nextFieldName()) != null) {
            JsonToken value = p.nextToken();
            boolean ok = switch (name) {
                case "id" -> first(ID) && isText(value);
                case "object" -> first(OBJECT) && isText(value) && !isError(p, value);
                case "created" -> first(CREATED) && created(p, value);
                case "model" -> first(MODEL) && isText(value);
                case "system_fingerprint" -> first(FINGERPRINT) && isText(value);
                case "usage" -> first(USAGE) && value == JsonToken.VALUE_NULL;
                case "choices" -> first(CHOICES) && value == JsonToken.START_ARRAY && choices(p);
                default -> skip(p, name);
            };
            if (!ok) {
                return false;
            }
            if (metadata) {
                switch (name) {
                    case "id" -> id = string(p, value);
                    case "model" -> model = string(p, value);
                    case "system_fingerprint" -> fingerprint = string(p, value);
                    default -> { }
                }
            }
        }
        return p.currentToken() == JsonToken.END_OBJECT;
    }

    private boolean choices(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.END_ARRAY) {
            return true;
        }
        if (t != JsonToken.START_OBJECT || !choice(p)) {
            return false;
        }
        return p.nextToken() == JsonToken.END_ARRAY; // a second choice (n > 1) takes the tree reader
    }

    private boolean choice(JsonParser p) throws IOException {
        String name;
        while ((name = p.nextFieldName()) != null) {
            JsonToken value = p.nextToken();
            boolean ok = switch (name) {
                case "index" -> first(INDEX) && value == JsonToken.VALUE_NUMBER_INT
                        && p.getNumberType() == JsonParser.NumberType.INT && (index = p.getIntValue()) >= 0;
                case "delta" -> first(DELTA) && value == JsonToken.START_OBJECT && delta(p);
                case "logprobs" -> first(LOGPROBS) && value == JsonToken.VALUE_NULL;
                case "finish_reason" -> first(FINISH) && isText(value);
                default -> skip(p, name);
            };
            if (!ok) {
                return false;
            }
            if (name.equals("finish_reason")) {
                finishReason = string(p, value);
            }
        }
        return p.currentToken() == JsonToken.END_OBJECT && (seen & DELTA) != 0;
    }

    private boolean delta(JsonParser p) throws IOException {
        String name;
        while ((name = p.nextFieldName()) != null) {
            JsonToken value = p.nextToken();
            boolean ok = switch (name) {
                case "role" -> first(ROLE) && isText(value);
                case "content" -> first(CONTENT) && isText(value);
                default -> skip(p, name);
            };
            if (!ok) {
                return false;
            }
            if (name.equals("role")) {
                role = string(p, value);
            } else if (name.equals("content")) {
                content = string(p, value);
            }
        }
        return p.currentToken() == JsonToken.END_OBJECT;
    }

    /** Skips a field the tree reader ignores too, once; any other field is not the plain shape. */
    private boolean skip(JsonParser p, String name) throws IOException {
        int i = SKIPPED_FIELDS.indexOf(name);
        if (i < 0 || !first(SKIPPED << i)) {
            return false;
        }
        p.skipChildren();
        return true;
    }

    /** Whether the chunk had a choice (a read one always has a delta); else its {@code choices} was empty. */
    boolean hasChoice() {
        return (seen & DELTA) != 0;
    }

    private boolean first(int field) {
        if ((seen & field) != 0) {
            return false;
        }
        seen |= field;
        return true;
    }

    /** A string or null; anything else (a number, which the tree reader turns into text) is not the plain shape. */
    private static boolean isText(JsonToken value) {
        return value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NULL;
    }

    private static boolean isError(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_STRING && p.getTextLength() == 5 && p.getText().equals("error");
    }

    /** For an {@link #isText} value: the string, null for {@code null} or {@code ""}. */
    private static String string(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        String s = p.getText();
        return s.isEmpty() ? null : s;
    }

    private boolean created(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return true;
        }
        if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return false;
        }
        created = p.getLongValue();
        return true;
    }
}
