package org.neuralpipeline.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import org.neuralpipeline.sse.SseEvent;

/** The NDJSON lines that {@code sse parse} and {@code sse get} print: one per event, one at the end. */
final class EventLines {
    private static final JsonFactory JSON = new JsonFactory();

    private EventLines() {
    }

    /** {@code {"type":…,"data":…,"id":…}} */
    static String event(SseEvent event) {
        return write(g -> {
            g.writeStringField("type", event.type());
            g.writeStringField("data", event.data());
            g.writeStringField("id", event.id());
        });
    }

    /** {@code {"end":true,"last_event_id":…,"retry_ms":…}}; retry is null when never set (negative). */
    static String end(String lastEventId, long retryMillis) {
        return write(g -> {
            g.writeBooleanField("end", true);
            g.writeStringField("last_event_id", lastEventId);
            g.writeFieldName("retry_ms");
            if (retryMillis < 0) {
                g.writeNull();
            } else {
                g.writeNumber(retryMillis);
            }
        });
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Fields fields) {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
