package org.neuralpipeline.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import org.neuralpipeline.broadcast.BroadcastMessage;

/**
 * The NDJSON line protocol shared by HTTP and the socket: what one line must be, and the message it becomes.
 * A line is accepted when it is at most {@value #MAX_LINE_BYTES} bytes of one JSON object with a non-empty
 * string {@code message_type} (at most {@value #MAX_TYPE_LENGTH} characters). Its fields are broadcast as
 * they are, except {@code seq}, which the hub assigns. {@code request_id} and {@code model}, at the top level or
 * in {@code payload} or {@code data}, are what viewers' filters see.
 */
final class IngestLines {
    static final int MAX_LINE_BYTES = 64 * 1024;
    static final int MAX_TYPE_LENGTH = 128;
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** What became of a line. */
    sealed interface Outcome {
    }

    record Accepted(Ingested message) implements Outcome {
    }

    record Rejected(String error) implements Outcome {
    }

    /** Only spaces: skipped, no reply. */
    record Blank() implements Outcome {
    }

    private IngestLines() {
    }

    static Outcome parse(byte[] bytes, int length) {
        if (isBlank(bytes, length)) {
            return new Blank();
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes, 0, length);
        } catch (JsonProcessingException e) {
            return new Rejected("invalid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            return new Rejected("invalid JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            return new Rejected("expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType()
                    .name().toLowerCase(java.util.Locale.ROOT)));
        }
        JsonNode type = node.get("message_type");
        if (type == null || !type.isTextual()) {
            return new Rejected("message_type: " + (type == null ? "missing" : type.toString())
                    + " (expected: a string)");
        }
        String t = type.asText();
        if (t.isEmpty() || t.length() > MAX_TYPE_LENGTH || t.chars().anyMatch(Character::isISOControl)) {
            return new Rejected("message_type: " + type + " (expected: 1 to " + MAX_TYPE_LENGTH
                    + " characters, no control characters)");
        }
        ObjectNode object = (ObjectNode) node;
        object.remove("seq");
        return new Accepted(new Ingested(object, t, attribute(object, "request_id"), attribute(object, "model")));
    }

    /** An oversized line's error. */
    static String tooLong() {
        return "line longer than " + MAX_LINE_BYTES + " bytes";
    }

    private static String attribute(ObjectNode node, String name) {
        for (JsonNode holder : new JsonNode[] {node, node.get("payload"), node.get("data")}) {
            JsonNode value = holder == null ? null : holder.get(name);
            if (value != null && value.isTextual()) {
                return value.asText();
            }
        }
        return null;
    }

    private static boolean isBlank(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String firstLine(String message) {
        String m = message == null ? "" : message;
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }

    /** An accepted line as a broadcast message. */
    record Ingested(ObjectNode node, String type, String requestId, String model) implements BroadcastMessage {
        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                g.writeFieldName(field.getKey());
                g.writeTree(field.getValue());
            }
        }
    }
}
