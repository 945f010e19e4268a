package org.neuralpipeline.openai;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * Re-encodes canonical {@link StreamEvent}s as OpenAI's canonical chunk sequence, one SSE event each
 * ({@code data: <json>\n\n}), whatever the upstream's quirks were:
 * <ol>
 *   <li>a role chunk first per choice, {@code {"role":"assistant","content":""}}; a repeated role is dropped;</li>
 *   <li>content, reasoning and tool-call deltas with {@code finish_reason: null};</li>
 *   <li>the finish reason on its own chunk with {@code delta: {}}, once per choice;</li>
 *   <li>with {@code include_usage}: one chunk with {@code choices: []} and the usage, every earlier chunk
 *       carrying {@code "usage": null}; without it, no usage field at all;</li>
 *   <li>{@code data: [DONE]}.</li>
 * </ol>
 * Every chunk carries the same {@code id}, {@code created} and {@code model}. Not thread-safe: one writer
 * per response, used on that response's event loop.
 */
public final class ChunkWriter {
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);

    private final String id;
    private final long created;
    private final String model;
    private final String systemFingerprint;
    private final boolean includeUsage;
    private final BitSet roleSent = new BitSet();
    private final BitSet finished = new BitSet();
    private final ByteArrayBuilder buffer = new ByteArrayBuilder(512);
    /** {@code data: {"id":…,"model":…,"choices":[{"index":}: the same bytes at the start of every delta chunk. */
    private final byte[] deltaHead;
    /** What follows a plain content delta's text: the chunk's constant end, {@code \n\n} included. */
    private final byte[] contentTail;
    /**
     * Writes the text of plain content deltas (the per-token chunk) between the constant bytes above. A root-level
     * generator without a separator, kept for the stream: one generator per token costs more than the token.
     */
    private JsonGenerator textGenerator;

    /**
     * @param systemFingerprint passed through when the upstream sent one; null omits the field
     */
    public ChunkWriter(String id, long created, String model, String systemFingerprint, boolean includeUsage) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.systemFingerprint = systemFingerprint;
        this.includeUsage = includeUsage;
        this.deltaHead = deltaHead();
        this.contentTail = (",\"logprobs\":null,\"finish_reason\":null}]" + (includeUsage ? ",\"usage\":null" : "")
                + "}\n\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The bytes {@link #begin} writes up to the choice's index, made by the same generator calls. */
    private byte[] deltaHead() {
        try {
            buffer.reset();
            JsonGenerator g = openChoice();
            g.writeFieldName("index");
            g.flush();
            buffer.write(':'); // Jackson writes the colon with the value
            byte[] head = buffer.toByteArray();
            buffer.reset();
            return head;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The SSE bytes for one event: possibly two chunks (a role chunk the upstream did not send, then the
     * event), or none (a duplicate role or finish, or usage the client did not ask for).
     */
    public byte[] write(StreamEvent event) {
        buffer.reset();
        try {
            switch (event) {
                case StreamEvent.Role r -> ensureRole(r.choice());
                case StreamEvent.Content c when c.logprobs() == null -> {
                    ensureRole(c.choice());
                    writeContent(c.choice(), c.text());
                }
                case StreamEvent.Content c -> {
                    ensureRole(c.choice());
                    JsonGenerator g = begin(c.choice());
                    g.writeStringField("content", c.text());
                    endDelta(g, c.logprobs(), null);
                }
                case StreamEvent.Reasoning r -> {
                    ensureRole(r.choice());
                    JsonGenerator g = begin(r.choice());
                    g.writeStringField(r.field(), r.text());
                    endDelta(g, null, null);
                }
                case StreamEvent.ToolCall t -> {
                    ensureRole(t.choice());
                    JsonGenerator g = begin(t.choice());
                    writeToolCall(g, t);
                    endDelta(g, null, null);
                }
                case StreamEvent.Finish f -> {
                    ensureRole(f.choice());
                    if (!finished.get(f.choice())) {
                        finished.set(f.choice());
                        JsonGenerator g = begin(f.choice());
                        endDelta(g, null, f.reason());
                    }
                }
                case StreamEvent.Usage u -> {
                    if (includeUsage) {
                        writeUsage(u.usage());
                    }
                }
                case StreamEvent.Failure f -> writeError(f.message(), f.type(), f.code());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    /** The error event that ends a stream which already started: {@code data: {"error":{…}}}. */
    public byte[] error(String message, String type, String code) {
        buffer.reset();
        try {
            writeError(message, type, code);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    public boolean finished(int choice) {
        return finished.get(choice);
    }

    private void ensureRole(int choice) throws IOException {
        if (roleSent.get(choice)) {
            return;
        }
        roleSent.set(choice);
        JsonGenerator g = begin(choice);
        g.writeStringField("role", "assistant");
        g.writeStringField("content", "");
        endDelta(g, null, null);
    }

    /**
     * A content delta without logprobs, byte for byte what {@link #begin} and {@link #endDelta} write: the constant
     * head and tail around the index and the text, which Jackson escapes as it would inside the object.
     */
    private void writeContent(int choice, String text) throws IOException {
        if (textGenerator == null) {
            textGenerator = OpenAiJson.MAPPER.getFactory().createGenerator(buffer, JsonEncoding.UTF8);
            textGenerator.setRootValueSeparator(null);
        }
        buffer.write(deltaHead);
        textGenerator.writeRaw(Integer.toString(choice));
        textGenerator.writeRaw(",\"delta\":{\"content\":");
        textGenerator.writeString(text);
        textGenerator.writeRaw('}');
        textGenerator.flush();
        buffer.write(contentTail);
    }

    private JsonGenerator begin(int choice) throws IOException {
        JsonGenerator g = openChoice();
        g.writeNumberField("index", choice);
        g.writeObjectFieldStart("delta");
        return g;
    }

    /**
     * Writes a delta chunk's opening, the same for every one: {@code data: }, the chunk's id, object, created,
     * model and fingerprint, then the choices array and its object, up to the choice's first field.
     */
    private JsonGenerator openChoice() throws IOException {
        buffer.write(PREFIX);
        JsonGenerator g = OpenAiJson.MAPPER.getFactory().createGenerator(buffer, JsonEncoding.UTF8);
        g.writeStartObject();
        header(g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        return g;
    }

    private void header(JsonGenerator g) throws IOException {
        g.writeStringField("id", id);
        g.writeStringField("object", "chat.completion.chunk");
        g.writeNumberField("created", created);
        g.writeStringField("model", model);
        if (systemFingerprint != null) {
            g.writeStringField("system_fingerprint", systemFingerprint);
        }
    }

    private void endDelta(JsonGenerator g, JsonNode logprobs, String finishReason) throws IOException {
        g.writeEndObject(); // delta
        g.writeFieldName("logprobs");
        if (logprobs == null) {
            g.writeNull();
        } else {
            OpenAiJson.MAPPER.writeTree(g, logprobs);
        }
        g.writeFieldName("finish_reason");
        if (finishReason == null) {
            g.writeNull();
        } else {
            g.writeString(finishReason);
        }
        g.writeEndObject(); // choice
        g.writeEndArray();
        if (includeUsage) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
        g.close();
        buffer.write('\n');
        buffer.write('\n');
    }

    private static void writeToolCall(JsonGenerator g, StreamEvent.ToolCall t) throws IOException {
        g.writeArrayFieldStart("tool_calls");
        g.writeStartObject();
        g.writeNumberField("index", t.index());
        if (t.id() != null) {
            g.writeStringField("id", t.id());
        }
        if (t.type() != null) {
            g.writeStringField("type", t.type());
        }
        if (t.name() != null || t.arguments() != null) {
            g.writeObjectFieldStart("function");
            if (t.name() != null) {
                g.writeStringField("name", t.name());
            }
            if (t.arguments() != null) {
                g.writeStringField("arguments", t.arguments());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeEndArray();
    }

    private void writeUsage(JsonNode usage) throws IOException {
        buffer.write(PREFIX);
        JsonGenerator g = OpenAiJson.MAPPER.getFactory().createGenerator(buffer, JsonEncoding.UTF8);
        g.writeStartObject();
        header(g);
        g.writeArrayFieldStart("choices");
        g.writeEndArray();
        g.writeFieldName("usage");
        OpenAiJson.MAPPER.writeTree(g, usage);
        g.writeEndObject();
        g.close();
        buffer.write('\n');
        buffer.write('\n');
    }

    private void writeError(String message, String type, String code) throws IOException {
        buffer.write(PREFIX);
        buffer.write(ErrorBody.json(message, type == null ? "upstream_error" : type, null, code));
        buffer.write('\n');
        buffer.write('\n');
    }
}
