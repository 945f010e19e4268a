package org.neuralpipeline.visual;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import org.neuralpipeline.broadcast.BroadcastMessage;

/**
 * The messages the gateway's streams produce, each written exactly as docs/schemas/ describes (field names
 * kept from the original visual shell). Immutable; the hub encodes them on its own thread.
 */
final class VisualMessages {
    private VisualMessages() {
    }

    /** One streamed token. {@code activation} is exp(logprob), or 1.0 with source "none": never invented. */
    record TokenUpdate(double timestamp, String token, long tokenId, String tokenIdSource, double x, double y,
            double activation, String activationSource, int sequencePosition, int choice, String kind,
            String requestId, String model, String upstream) implements BroadcastMessage {
        static final String TYPE = "TokenVisualizationUpdate";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            g.writeStringField("message_type", TYPE);
            g.writeNumberField("timestamp", timestamp);
            g.writeObjectFieldStart("payload");
            g.writeStringField("current_token", token);
            g.writeNumberField("token_id", tokenId);
            g.writeStringField("token_id_source", tokenIdSource);
            g.writeArrayFieldStart("hilbert_position");
            g.writeNumber(x);
            g.writeNumber(y);
            g.writeEndArray();
            g.writeNumberField("activation", activation);
            g.writeStringField("activation_source", activationSource);
            g.writeNullField("layer"); // no upstream reports layers
            g.writeNumberField("sequence_position", sequencePosition);
            g.writeNumberField("choice", choice);
            g.writeStringField("kind", kind);
            g.writeStringField("request_id", requestId);
            g.writeStringField("model", model);
            g.writeStringField("upstream", upstream);
            g.writeEndObject();
        }
    }

    /**
     * What was measured over a window of tokens (or, with {@code last}, the whole stream). Null fields were
     * not measured and are left out ({@code strength} is written as null).
     */
    record StateUpdate(double timestamp, String upstream, String requestId, String model, int tokens,
            Double tokensPerSecond, Double meanProbability, Double entropy, String finishReason, boolean last)
            implements BroadcastMessage {
        static final String TYPE = "NeuralStateUpdate";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            g.writeStringField("message_type", TYPE);
            g.writeNumberField("timestamp", timestamp);
            g.writeStringField("daemon_id", upstream);
            g.writeFieldName("strength");
            if (meanProbability == null) {
                g.writeNull();
            } else {
                g.writeNumber(meanProbability);
            }
            g.writeObjectFieldStart("data");
            g.writeStringField("request_id", requestId);
            g.writeStringField("model", model);
            g.writeNumberField("tokens", tokens);
            if (tokensPerSecond != null) {
                g.writeNumberField("tokens_per_second", tokensPerSecond);
            }
            if (meanProbability != null) {
                g.writeNumberField("mean_probability", meanProbability);
            }
            if (entropy != null) {
                g.writeNumberField("entropy", entropy);
            }
            if (finishReason != null) {
                g.writeStringField("finish_reason", finishReason);
            }
            g.writeBooleanField("final", last);
            g.writeEndObject();
        }
    }

    /** The first token of a stream reached the gateway (a failed attempt before it publishes nothing). */
    record StreamStarted(double timestamp, String requestId, String model, String upstream)
            implements BroadcastMessage {
        static final String TYPE = "StreamStarted";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            g.writeStringField("message_type", TYPE);
            g.writeNumberField("timestamp", timestamp);
            g.writeStringField("request_id", requestId);
            g.writeStringField("model", model);
            g.writeStringField("upstream", upstream);
        }
    }

    /** A started stream is over: {@code finished}, {@code failed} (with {@code error}) or {@code cancelled}. */
    record StreamEnded(double timestamp, String requestId, String model, String upstream, String outcome,
            String finishReason, String error, int tokens, double durationSeconds) implements BroadcastMessage {
        static final String TYPE = "StreamEnded";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public void writeFields(JsonGenerator g) throws IOException {
            g.writeStringField("message_type", TYPE);
            g.writeNumberField("timestamp", timestamp);
            g.writeStringField("request_id", requestId);
            g.writeStringField("model", model);
            g.writeStringField("upstream", upstream);
            g.writeStringField("outcome", outcome);
            if (finishReason != null) {
                g.writeStringField("finish_reason", finishReason);
            }
            if (error != null) {
                g.writeStringField("error", error);
            }
            g.writeNumberField("tokens", tokens);
            g.writeNumberField("duration_seconds", durationSeconds);
        }
    }
}
