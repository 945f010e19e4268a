package org.neuralpipeline.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/chat/completions} body, validated, with the fields the gateway acts on pulled out.
 * The original object is kept ({@link #body}) so that everything else reaches the upstream unchanged.
 *
 * @param maxTokens {@code max_completion_tokens} or {@code max_tokens}; null when absent
 * @param stop up to four stop sequences; empty when absent
 * @param topLogprobs 0-20; only with {@code logprobs}
 */
public record ChatRequest(
        String model,
        boolean stream,
        boolean includeUsage,
        Integer maxTokens,
        Double temperature,
        Long seed,
        List<String> stop,
        boolean logprobs,
        int topLogprobs,
        int n,
        ObjectNode body) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");

    public ChatRequest {
        stop = List.copyOf(stop);
    }

    /** Parses and validates a request body. @throws InvalidRequestException naming the field */
    public static ChatRequest parse(byte[] json) {
        JsonNode root;
        try {
            root = OpenAiJson.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(null, "invalid_json",
                    "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRequestException(null, "invalid_json", "The request body could not be read");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRequestException(null, "invalid_type", "The request body must be a JSON object");
        }
        return from((ObjectNode) root);
    }

    static ChatRequest from(ObjectNode body) {
        String model = requiredString(body, "model");
        validateMessages(body);
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!stream) {
                throw new InvalidRequestException("stream_options", "invalid_value",
                        "stream_options is only allowed when stream is true");
            }
            if (!streamOptions.isObject()) {
                throw new InvalidRequestException("stream_options", "invalid_type", "stream_options must be an object");
            }
            includeUsage = optionalBoolean((ObjectNode) streamOptions, "include_usage", false, "stream_options.");
        }
        Integer maxTokens = optionalInt(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens == null) {
            maxTokens = optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE);
        }
        Double temperature = optionalNumber(body, "temperature", 0, 2);
        optionalNumber(body, "top_p", 0, 1);
        Long seed = null;
        JsonNode seedNode = body.get("seed");
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.canConvertToLong() || !seedNode.isIntegralNumber()) {
                throw new InvalidRequestException("seed", "invalid_type", "seed must be an integer");
            }
            seed = seedNode.longValue();
        }
        List<String> stop = stopSequences(body);
        boolean logprobs = optionalBoolean(body, "logprobs", false);
        Integer top = optionalInt(body, "top_logprobs", 0, 20);
        if (top != null && top > 0 && !logprobs) {
            throw new InvalidRequestException("top_logprobs", "invalid_value",
                    "top_logprobs requires logprobs to be true");
        }
        Integer n = optionalInt(body, "n", 1, 128);
        return new ChatRequest(model, stream, includeUsage, maxTokens, temperature, seed, stop, logprobs,
                top == null ? 0 : top, n == null ? 1 : n, body);
    }

    private static void validateMessages(ObjectNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw new InvalidRequestException("messages", "missing_required_parameter",
                    "Missing required parameter: 'messages'");
        }
        if (!messages.isArray()) {
            throw new InvalidRequestException("messages", "invalid_type", "messages must be an array");
        }
        if (messages.isEmpty()) {
            throw new InvalidRequestException("messages", "invalid_value", "messages must not be empty");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) {
                throw new InvalidRequestException(at, "invalid_type", at + " must be an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw new InvalidRequestException(at + ".role", "missing_required_parameter",
                        at + ".role must be a string");
            }
            if (!ROLES.contains(role.asText())) {
                throw new InvalidRequestException(at + ".role", "invalid_value", at + ".role: '" + role.asText()
                        + "' (expected one of: system, developer, user, assistant, tool)");
            }
            JsonNode content = m.get("content");
            if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
                throw new InvalidRequestException(at + ".content", "invalid_type",
                        at + ".content must be a string or an array of content parts");
            }
        }
    }

    private static List<String> stopSequences(ObjectNode body) {
        JsonNode stop = body.get("stop");
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (!stop.isArray()) {
            throw new InvalidRequestException("stop", "invalid_type", "stop must be a string or an array of strings");
        }
        if (stop.size() > 4) {
            throw new InvalidRequestException("stop", "invalid_value", "stop: at most 4 sequences (got " + stop.size() + ")");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw new InvalidRequestException("stop", "invalid_type", "stop must contain only strings");
            }
            list.add(s.asText());
        }
        return list;
    }

    private static String requiredString(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidRequestException(field, "missing_required_parameter",
                    "Missing required parameter: '" + field + "'");
        }
        if (!node.isTextual() || node.asText().isEmpty()) {
            throw new InvalidRequestException(field, "invalid_type", field + " must be a non-empty string");
        }
        return node.asText();
    }

    private static boolean optionalBoolean(ObjectNode body, String field, boolean otherwise) {
        return optionalBoolean(body, field, otherwise, "");
    }

    private static boolean optionalBoolean(ObjectNode body, String field, boolean otherwise, String prefix) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return otherwise;
        }
        if (!node.isBoolean()) {
            throw new InvalidRequestException(prefix + field, "invalid_type", prefix + field + " must be a boolean");
        }
        return node.booleanValue();
    }

    private static Integer optionalInt(ObjectNode body, String field, int min, int max) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new InvalidRequestException(field, "invalid_type", field + " must be an integer");
        }
        int value = node.intValue();
        if (value < min || value > max) {
            throw new InvalidRequestException(field, "invalid_value",
                    field + ": " + value + " (expected: " + min + "-" + max + ")");
        }
        return value;
    }

    private static Double optionalNumber(ObjectNode body, String field, double min, double max) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isNumber()) {
            throw new InvalidRequestException(field, "invalid_type", field + " must be a number");
        }
        double value = node.doubleValue();
        if (!(value >= min && value <= max)) {
            throw new InvalidRequestException(field, "invalid_value",
                    field + ": " + node.asText() + " (expected: " + fmt(min) + "-" + fmt(max) + ")");
        }
        return value;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
