package org.neuralpipeline.openai;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/** OpenAI's error shape: {@code {"error":{"message","type","param","code"}}}; null fields are written as null. */
public final class ErrorBody {
    private ErrorBody() {
    }

    public static byte[] json(String message, String type, String param, String code) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = OpenAiJson.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeStringField("param", param);
            g.writeStringField("code", code);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
