package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.TestGateway;

/** The built-in model through the gateway (no other upstream): reproducible, with logprobs, with limits. */
class GatewayBuiltinTest {
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(TestGateway.config());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String withoutIdAndCreated(String stream) {
        return stream.replaceAll("\"id\":\"[^\"]+\"", "\"id\":\"*\"").replaceAll("\"created\":\\d+", "\"created\":0");
    }

    @Test
    void theSameSeedStreamsTheSameBytesApartFromIdAndCreated() {
        String body = chatBody("builtin", true, "\"seed\":42", "\"max_tokens\":20");
        GatewayClient.Stream one = gateway.client().stream(body);
        GatewayClient.Stream two = gateway.client().stream(body);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.header("x-upstream")).isEqualTo("builtin");
        String first = one.text();
        assertThat(first).endsWith("data: [DONE]\n\n");
        assertThat(one.chunks()).hasSizeGreaterThan(3);
        assertThat(withoutIdAndCreated(two.text())).isEqualTo(withoutIdAndCreated(first));
    }

    @Test
    void nonStreamingGivesTheSameTextAsStreamingForTheSameSeed() {
        StringBuilder streamed = new StringBuilder();
        gateway.client().stream(chatBody("builtin", true, "\"seed\":9", "\"max_tokens\":15")).chunks()
                .forEach(c -> streamed.append(c.path("choices").get(0).path("delta").path("content").asText("")));
        HttpResponse<String> whole = gateway.client().chat(chatBody("builtin", false, "\"seed\":9", "\"max_tokens\":15"));
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(whole.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(streamed.toString()).isNotEmpty();
    }

    @Test
    void logprobsAreNumericWhenAskedAndNullOtherwise() {
        List<JsonNode> asked = gateway.client().stream(chatBody("builtin", true, "\"seed\":1", "\"max_tokens\":6",
                "\"logprobs\":true", "\"top_logprobs\":3")).chunks();
        int withContent = 0;
        for (JsonNode chunk : asked) {
            JsonNode choice = chunk.path("choices").get(0);
            if (!choice.path("delta").path("content").asText("").isEmpty()) {
                withContent++;
                JsonNode tokens = choice.path("logprobs").path("content");
                assertThat(tokens).as(chunk.toString()).isNotEmpty();
                for (JsonNode token : tokens) {
                    assertThat(token.path("logprob").isNumber()).isTrue();
                    assertThat(token.path("logprob").asDouble()).isLessThanOrEqualTo(0);
                    assertThat(token.path("token").isTextual()).isTrue();
                    assertThat(token.path("top_logprobs")).hasSizeLessThanOrEqualTo(3).isNotEmpty();
                }
            }
        }
        assertThat(withContent).isEqualTo(6);

        List<JsonNode> plain = gateway.client().stream(chatBody("builtin", true, "\"seed\":1", "\"max_tokens\":6"))
                .chunks();
        assertThat(plain).allMatch(c -> c.path("choices").get(0).path("logprobs").isNull());
    }

    @Test
    void concurrentStreamsAreIndependentAndLeaveNoActiveStream() {
        List<GatewayClient.Stream> streams = new java.util.ArrayList<>();
        for (int seed = 0; seed < 12; seed++) {
            streams.add(gateway.client().stream(chatBody("builtin", true, "\"seed\":" + seed, "\"max_tokens\":30")));
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (GatewayClient.Stream s : streams) {
            List<JsonNode> chunks = s.chunks();
            assertThat(s.data()).last().isEqualTo("[DONE]");
            assertThat(chunks).extracting(c -> c.path("id").asText()).containsOnly(chunks.getFirst().path("id").asText());
            ids.add(chunks.getFirst().path("id").asText());
        }
        assertThat(ids).hasSize(12);
        TestGateway.await(java.time.Duration.ofSeconds(5), () -> gateway.metric("neural_pipeline_active_streams") == 0,
                () -> gateway.metrics("neural_pipeline_active").toString());
    }

    @Test
    void maxTokensEndsWithFinishReasonLengthAndUsageCountsThem() {
        List<JsonNode> chunks = gateway.client().stream(chatBody("builtin", true, "\"seed\":3", "\"max_tokens\":4",
                "\"stream_options\":{\"include_usage\":true}")).chunks();
        JsonNode finish = chunks.get(chunks.size() - 2).path("choices").get(0);
        assertThat(finish.path("finish_reason").asText()).isEqualTo("length");
        assertThat(finish.path("delta").toString()).isEqualTo("{}");
        JsonNode usage = chunks.getLast().path("usage");
        assertThat(chunks.getLast().path("choices")).isEmpty();
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(4);
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }
}
