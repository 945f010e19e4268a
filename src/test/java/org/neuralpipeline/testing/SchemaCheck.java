package org.neuralpipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a message against its schema in docs/schemas/ ({@code TYPE.schema.json}), so the documented schemas
 * cannot drift from what the service sends. Understands the subset those schemas use: {@code type} (one or a
 * list), {@code const}, {@code enum}, {@code required}, {@code properties}, {@code additionalProperties: false},
 * {@code items}, {@code minItems}, {@code maxItems}, {@code minimum}, {@code maximum}, {@code minLength},
 * {@code maxLength}.
 */
public final class SchemaCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCHEMAS = Path.of("docs/schemas");

    private SchemaCheck() {
    }

    /** The violations of {@code message} against the schema of its {@code message_type}; empty when it conforms. */
    public static List<String> violations(JsonNode message) {
        String type = message.path("message_type").asText();
        try {
            JsonNode schema = JSON.readTree(SCHEMAS.resolve(type + ".schema.json").toFile());
            List<String> found = new ArrayList<>();
            check(schema, message, "$", found);
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("no schema for " + type, e);
        }
    }

    private static void check(JsonNode schema, JsonNode value, String at, List<String> found) {
        if (schema.has("const") && !schema.get("const").equals(value)) {
            found.add(at + ": " + value + " is not " + schema.get("const"));
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode option : schema.get("enum")) {
                listed |= option.equals(value);
            }
            if (!listed) {
                found.add(at + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
        if (schema.has("type") && !typeMatches(schema.get("type"), value)) {
            found.add(at + ": " + value + " is not of type " + schema.get("type"));
            return;
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                found.add(at + ": " + value + " < " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                found.add(at + ": " + value + " > " + schema.get("maximum"));
            }
        }
        if (value.isTextual()) {
            int length = value.asText().length();
            if (schema.has("minLength") && length < schema.get("minLength").asInt()
                    || schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
                found.add(at + ": length " + length + " out of range");
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()
                    || schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                found.add(at + ": " + value.size() + " items out of range");
            }
            if (schema.has("items")) {
                for (int i = 0; i < value.size(); i++) {
                    check(schema.get("items"), value.get(i), at + "[" + i + "]", found);
                }
            }
        }
        if (value.isObject()) {
            for (JsonNode required : schema.path("required")) {
                if (!value.has(required.asText())) {
                    found.add(at + ": missing " + required.asText());
                }
            }
            JsonNode properties = schema.path("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (properties.has(field.getKey())) {
                    check(properties.get(field.getKey()), field.getValue(), at + "." + field.getKey(), found);
                } else if (schema.path("additionalProperties").isBoolean()
                        && !schema.path("additionalProperties").asBoolean()) {
                    found.add(at + ": undocumented field " + field.getKey());
                }
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (typeMatches(t, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> false;
        };
    }
}
