package org.neuralpipeline.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.openai.StreamEvent;

/**
 * Builds a non-streaming {@code chat.completion} from the canonical events, so that a client that did
 * not ask for a stream gets exactly the same normalisation as one that did.
 */
final class CompletionAggregator {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Map<Integer, Choice> choices = new TreeMap<>();
    private JsonNode usage;

    private static final class Choice {
        final StringBuilder content = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        String reasoningField;
        boolean sawContent;
        final Map<Integer, ToolCallParts> toolCalls = new TreeMap<>();
        final List<JsonNode> logprobs = new ArrayList<>();
        boolean sawLogprobs;
        String finishReason;
    }

    private static final class ToolCallParts {
        String id;
        String type;
        String name;
        final StringBuilder arguments = new StringBuilder();
    }

    void add(StreamEvent event) {
        switch (event) {
            case StreamEvent.Role r -> choice(r.choice());
            case StreamEvent.Content c -> {
                Choice choice = choice(c.choice());
                choice.content.append(c.text());
                choice.sawContent = true;
                if (c.logprobs() != null) {
                    choice.sawLogprobs = true;
                    c.logprobs().path("content").forEach(choice.logprobs::add);
                }
            }
            case StreamEvent.Reasoning r -> {
                Choice choice = choice(r.choice());
                choice.reasoning.append(r.text());
                choice.reasoningField = r.field();
            }
            case StreamEvent.ToolCall t -> {
                ToolCallParts parts = choice(t.choice()).toolCalls.computeIfAbsent(t.index(), i -> new ToolCallParts());
                if (t.id() != null) {
                    parts.id = t.id();
                }
                if (t.type() != null) {
                    parts.type = t.type();
                }
                if (t.name() != null) {
                    parts.name = t.name();
                }
                if (t.arguments() != null) {
                    parts.arguments.append(t.arguments());
                }
            }
            case StreamEvent.Finish f -> choice(f.choice()).finishReason = f.reason();
            case StreamEvent.Usage u -> usage = u.usage();
            case StreamEvent.Failure f -> {
                // failures end the exchange before aggregation is used; nothing to keep
            }
        }
    }

    private Choice choice(int index) {
        return choices.computeIfAbsent(index, i -> new Choice());
    }

    /** The {@code chat.completion} object, OpenAI's non-streaming shape. */
    byte[] toJson(String id, long created, String model, String systemFingerprint) {
        ObjectNode root = NODES.objectNode();
        root.put("id", id);
        root.put("object", "chat.completion");
        root.put("created", created);
        root.put("model", model);
        if (systemFingerprint != null) {
            root.put("system_fingerprint", systemFingerprint);
        }
        ArrayNode array = root.putArray("choices");
        choices.forEach((index, c) -> {
            ObjectNode choice = array.addObject();
            choice.put("index", index);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (c.sawContent || c.toolCalls.isEmpty()) {
                message.put("content", c.content.toString());
            } else {
                message.putNull("content");
            }
            if (c.reasoningField != null) {
                message.put(c.reasoningField, c.reasoning.toString());
            }
            if (!c.toolCalls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                c.toolCalls.values().forEach(p -> {
                    ObjectNode call = calls.addObject();
                    call.put("id", p.id);
                    call.put("type", p.type != null ? p.type : "function");
                    ObjectNode function = call.putObject("function");
                    function.put("name", p.name);
                    function.put("arguments", p.arguments.toString());
                });
            }
            if (c.sawLogprobs) {
                ObjectNode logprobs = choice.putObject("logprobs");
                logprobs.putArray("content").addAll(c.logprobs);
                logprobs.putNull("refusal");
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason);
        });
        if (usage != null) {
            root.set("usage", usage);
        }
        try {
            return OpenAiJson.MAPPER.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
