package org.neuralpipeline.broadcast;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** A message with a type, the filter attributes and one text field. */
record TestMessage(String type, String requestId, String model, String text) implements BroadcastMessage {
    static TestMessage token(String text) {
        return new TestMessage("TokenVisualizationUpdate", "r1", "m1", text);
    }

    static TestMessage of(String type) {
        return new TestMessage(type, "r1", "m1", type);
    }

    @Override
    public void writeFields(JsonGenerator g) throws IOException {
        g.writeStringField("message_type", type);
        g.writeStringField("text", text);
    }
}
