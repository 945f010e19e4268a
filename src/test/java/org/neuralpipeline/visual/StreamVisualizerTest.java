package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.broadcast.BroadcastMessage;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.testing.ManualClock;

class StreamVisualizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManualClock clock = new ManualClock();
    private final List<BroadcastMessage> published = new ArrayList<>();
    private final Visualizer visualizer = new Visualizer(m -> {
        published.add(m);
        return published.size();
    }, BroadcastConfig.DEFAULTS, clock, clock::nanoTime);

    private List<JsonNode> messages() throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (BroadcastMessage m : published) {
            StringWriter out = new StringWriter();
            try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
                g.writeStartObject();
                m.writeFields(g);
                g.writeEndObject();
            }
            JsonNode node = JSON.readTree(out.toString());
            assertThat(node.path("message_type").asText()).isEqualTo(m.type());
            nodes.add(node);
        }
        return nodes;
    }

    private static List<String> types(List<JsonNode> messages) {
        return messages.stream().map(n -> n.path("message_type").asText()).toList();
    }

    @Test
    void aStreamIsStartedTokensAndEnded() throws Exception {
        StreamVisualizer s = visualizer.stream("req-1", "builtin", "builtin");
        s.token(StreamVisualizer.Kind.CONTENT, 0, "Hello", null);
        clock.advance(Duration.ofMillis(500));
        s.token(StreamVisualizer.Kind.CONTENT, 0, " world", null);
        s.finish(0, "stop");
        s.ended();

        List<JsonNode> m = messages();
        assertThat(types(m)).containsExactly("StreamStarted", "TokenVisualizationUpdate", "TokenVisualizationUpdate",
                "NeuralStateUpdate", "StreamEnded");
        assertThat(m.get(0).path("request_id").asText()).isEqualTo("req-1");
        assertThat(m.get(0).path("timestamp").asDouble()).isEqualTo(1_735_689_600.0);

        JsonNode token = m.get(1).path("payload");
        assertThat(token.path("current_token").asText()).isEqualTo("Hello");
        assertThat(token.path("token_id").asLong()).isEqualTo(new TokenSpace(65_536, 8).hashId("Hello"));
        assertThat(token.path("token_id_source").asText()).isEqualTo("hash");
        assertThat(token.path("activation").asDouble()).isEqualTo(1.0);
        assertThat(token.path("activation_source").asText()).isEqualTo("none");
        assertThat(token.path("layer").isNull()).isTrue();
        assertThat(token.path("sequence_position").asInt()).isZero();
        assertThat(token.path("hilbert_position")).hasSize(2);
        assertThat(m.get(2).path("payload").path("sequence_position").asInt()).isEqualTo(1);
        assertThat(m.get(2).path("timestamp").asDouble()).isEqualTo(1_735_689_600.5);

        JsonNode state = m.get(3);
        assertThat(state.path("daemon_id").asText()).isEqualTo("builtin");
        assertThat(state.path("strength").isNull()).as("no logprobs: strength was not measured").isTrue();
        assertThat(state.path("data").path("tokens_per_second").asDouble()).isEqualTo(2.0); // 1 token in 0.5 s
        assertThat(state.path("data").has("mean_probability")).isFalse();
        assertThat(state.path("data").has("entropy")).isFalse();
        assertThat(state.path("data").path("finish_reason").asText()).isEqualTo("stop");
        assertThat(state.path("data").path("final").asBoolean()).isTrue();

        JsonNode ended = m.get(4);
        assertThat(ended.path("outcome").asText()).isEqualTo("finished");
        assertThat(ended.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(ended.path("tokens").asInt()).isEqualTo(2);
        assertThat(ended.path("duration_seconds").asDouble()).isEqualTo(0.5);
    }

    @Test
    void logprobsGiveActivationStrengthAndEntropy() throws Exception {
        JsonNode logprobs = JSON.readTree("""
                {"content":[{"token":"Hi","logprob":-0.5,"top_logprobs":[
                  {"token":"Hi","logprob":-0.5},{"token":"Hello","logprob":-1.5}]}]}""");
        StreamVisualizer s = visualizer.stream("r", "m", "vllm");
        s.token(StreamVisualizer.Kind.CONTENT, 0, "Hi", logprobs);
        s.ended();

        List<JsonNode> m = messages();
        JsonNode token = m.get(1).path("payload");
        assertThat(token.path("activation").asDouble()).isCloseTo(Math.exp(-0.5), within(1e-12));
        assertThat(token.path("activation_source").asText()).isEqualTo("logprob");
        JsonNode state = m.get(2);
        double p1 = Math.exp(-0.5);
        double p2 = Math.exp(-1.5);
        assertThat(state.path("strength").asDouble()).isCloseTo(p1, within(1e-12));
        assertThat(state.path("data").path("mean_probability").asDouble()).isCloseTo(p1, within(1e-12));
        assertThat(state.path("data").path("entropy").asDouble())
                .isCloseTo(-(p1 * Math.log(p1) + p2 * Math.log(p2)), within(1e-12));
        assertThat(state.path("data").has("tokens_per_second")).as("one token: no rate").isFalse();
    }

    @Test
    void upstreamTokenIdsWinOverTheHash() throws Exception {
        StreamVisualizer s = visualizer.stream("r", "m", "llamacpp");
        s.token(StreamVisualizer.Kind.CONTENT, 0, "Hi",
                JSON.readTree("{\"content\":[{\"id\":9906,\"token\":\"Hi\",\"logprob\":-0.1}]}"));
        s.token(StreamVisualizer.Kind.CONTENT, 0, "!",
                JSON.readTree("{\"content\":[{\"token\":\"token_id:0\",\"logprob\":-0.1}]}"));
        List<JsonNode> m = messages();
        assertThat(m.get(1).path("payload").path("token_id").asLong()).isEqualTo(9906);
        assertThat(m.get(1).path("payload").path("token_id_source").asText()).isEqualTo("upstream");
        assertThat(m.get(2).path("payload").path("token_id").asLong()).isZero();
        assertThat(m.get(2).path("payload").path("current_token").asText()).isEqualTo("!");
        assertThat(m.get(2).path("payload").path("hilbert_position").toString()).isEqualTo("[0.0,0.0]");
    }

    @Test
    void aStateUpdateEveryKTokens() throws Exception {
        StreamVisualizer s = visualizer.stream("r", "m", "u");
        for (int i = 0; i < 40; i++) {
            s.token(StreamVisualizer.Kind.CONTENT, 0, "t" + i, null);
        }
        s.ended();
        List<JsonNode> m = messages();
        List<Integer> states = new ArrayList<>();
        for (JsonNode n : m) {
            if (n.path("message_type").asText().equals("NeuralStateUpdate")) {
                states.add(n.path("data").path("tokens").asInt());
            }
        }
        assertThat(states).containsExactly(16, 32, 40);
    }

    @Test
    void anAttemptThatFailsBeforeItsFirstTokenPublishesNothing() {
        StreamVisualizer s = visualizer.stream("r", "m", "lmstudio");
        s.failed("upstream 'lmstudio' refused the connection");
        s.cancelled();
        assertThat(published).isEmpty();
    }

    @Test
    void aFailureAfterTokensEndsTheStreamWithTheError() throws Exception {
        StreamVisualizer s = visualizer.stream("r", "m", "u");
        s.token(StreamVisualizer.Kind.REASONING, 0, "thinking", null);
        s.failed("connection lost");
        s.cancelled(); // a cancel after the end changes nothing
        List<JsonNode> m = messages();
        assertThat(types(m)).containsExactly("StreamStarted", "TokenVisualizationUpdate", "NeuralStateUpdate",
                "StreamEnded");
        assertThat(m.get(1).path("payload").path("kind").asText()).isEqualTo("reasoning");
        assertThat(m.get(3).path("outcome").asText()).isEqualTo("failed");
        assertThat(m.get(3).path("error").asText()).isEqualTo("connection lost");
        assertThat(m.get(3).has("finish_reason")).isFalse();
    }

    @Test
    void choicesCountTheirOwnPositions() throws Exception {
        StreamVisualizer s = visualizer.stream("r", "m", "u");
        s.token(StreamVisualizer.Kind.CONTENT, 0, "a", null);
        s.token(StreamVisualizer.Kind.CONTENT, 1, "b", null);
        s.token(StreamVisualizer.Kind.CONTENT, 1, "c", null);
        s.token(StreamVisualizer.Kind.CONTENT, 0, "", null); // empty fragment: no token
        List<JsonNode> m = messages();
        assertThat(m).hasSize(4);
        assertThat(m.get(3).path("payload").path("choice").asInt()).isEqualTo(1);
        assertThat(m.get(3).path("payload").path("sequence_position").asInt()).isEqualTo(1);
    }
}
