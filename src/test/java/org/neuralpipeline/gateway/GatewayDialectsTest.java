package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * Every recorded upstream dialect, relayed through the real service, reaches the client as OpenAI's
 * canonical sequence (checklist 6-14 and 16): one role chunk first per choice, no repeated role, the
 * finish reason alone on a chunk with an empty delta, usage only when asked, {@code [DONE]} last.
 */
class GatewayDialectsTest {
    private static final String MODEL = "fake-model";
    private static final String[] TRANSCRIPTS = {"openai.sse", "lmstudio.sse", "ollama-old.sse", "ollama-new.sse",
        "llamacpp.sse", "vllm.sse", "openai-tools.sse", "ollama-old-tools.sse", "vllm-logprobs.sse", "openai-n2.sse"};
    private static final String USAGE = "\"stream_options\":{\"include_usage\":true}";

    private static Vertx vertx;
    private static FakeModelServer fake;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake)));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        fake.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static GatewayClient.Stream relay(String transcript, String... extra) {
        fake.enqueueChat(Script.transcript(transcript));
        GatewayClient.Stream stream = gateway.client().stream(chatBody(MODEL, true, extra));
        assertThat(stream.status()).as(transcript).isEqualTo(200);
        return stream;
    }

    static Stream<Arguments> everyTranscriptWithAndWithoutUsage() {
        List<Arguments> cases = new ArrayList<>();
        for (String t : TRANSCRIPTS) {
            cases.add(Arguments.of(t, true));
            cases.add(Arguments.of(t, false));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, include_usage={1}")
    @MethodSource("everyTranscriptWithAndWithoutUsage")
    void everyDialectBecomesTheCanonicalSequence(String transcript, boolean includeUsage) {
        GatewayClient.Stream stream = includeUsage ? relay(transcript, USAGE) : relay(transcript);
        String text = stream.text();
        List<String> data = stream.data();
        List<JsonNode> chunks = stream.chunks();

        // framing: data lines and blank lines only, [DONE] once and last
        assertThat(text).endsWith("\n\n");
        assertThat(text.lines().filter(l -> !l.isEmpty())).allMatch(l -> l.startsWith("data: "));
        assertThat(data).last().isEqualTo("[DONE]");
        assertThat(data).filteredOn("[DONE]"::equals).hasSize(1);

        JsonNode first = chunks.getFirst();
        Map<Integer, Integer> roles = new TreeMap<>();
        Map<Integer, Integer> finishes = new TreeMap<>();
        Map<Integer, Boolean> seen = new TreeMap<>();
        int usageChunks = 0;
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode chunk = chunks.get(i);
            assertThat(chunk.path("id").asText()).isEqualTo(first.path("id").asText()).isNotEmpty();
            assertThat(chunk.path("created").asLong()).isEqualTo(first.path("created").asLong()).isPositive();
            assertThat(chunk.path("model").asText()).isEqualTo(MODEL);
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            if (chunk.path("choices").isEmpty()) {
                usageChunks++;
                assertThat(includeUsage).as("usage chunk only when asked").isTrue();
                assertThat(i).as("the usage chunk is the last chunk").isEqualTo(chunks.size() - 1);
                assertThat(chunk.path("usage").isObject()).isTrue();
                continue;
            }
            if (includeUsage) {
                assertThat(chunk.has("usage") && chunk.get("usage").isNull()).as("usage: null before the last").isTrue();
            } else {
                assertThat(chunk.has("usage")).as("no usage field when not asked: " + chunk).isFalse();
            }
            assertThat(chunk.path("choices")).hasSize(1);
            JsonNode choice = chunk.path("choices").get(0);
            int index = choice.path("index").asInt();
            JsonNode delta = choice.path("delta");
            assertThat(choice.has("logprobs")).isTrue();
            if (!seen.containsKey(index)) {
                seen.put(index, true);
                assertThat(delta.toString()).as("first chunk of choice " + index)
                        .isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
                assertThat(choice.path("finish_reason").isNull()).isTrue();
            }
            if (delta.has("role")) {
                roles.merge(index, 1, Integer::sum);
            }
            if (!choice.path("finish_reason").isNull()) {
                finishes.merge(index, 1, Integer::sum);
                assertThat(delta.toString()).as("the finish reason stands alone").isEqualTo("{}");
                assertThat(choice.path("finish_reason").asText()).isIn("stop", "length", "tool_calls", "content_filter");
                assertThat(choice.path("logprobs").isNull()).isTrue();
            } else {
                assertThat(finishes).as("nothing after a choice's finish").doesNotContainKey(index);
            }
        }
        assertThat(roles.keySet()).isEqualTo(seen.keySet());
        assertThat(roles.values()).as("exactly one role chunk per choice").allMatch(n -> n == 1);
        assertThat(finishes.keySet()).isEqualTo(seen.keySet());
        assertThat(finishes.values()).as("exactly one finish per choice").allMatch(n -> n == 1);
        boolean upstreamReportsUsage = Script.transcript(transcript).text().contains("\"usage\":{");
        assertThat(usageChunks).isEqualTo(includeUsage && upstreamReportsUsage ? 1 : 0);
    }

    static Stream<Arguments> textTranscripts() {
        return Stream.of(
                Arguments.of("openai.sse", "Hello, wörld 🌍", null, null, "stop"),
                Arguments.of("lmstudio.sse", "The answer is 42.", null, null, "stop"),
                Arguments.of("ollama-old.sse", "Hi there!", null, null, "stop"),
                Arguments.of("ollama-new.sse", "Paris.", "reasoning", "Okay, simple.", "stop"),
                Arguments.of("llamacpp.sse", "1, 2, 3", "reasoning_content", "Count to three.", "stop"),
                Arguments.of("vllm.sse", "Autumn moon", "reasoning_content", "The user wants a haiku.", "stop"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("textTranscripts")
    void contentAndReasoningArePassedThroughUnderTheirOwnNames(String transcript, String content,
            String reasoningField, String reasoning, String finish) {
        List<JsonNode> chunks = relay(transcript).chunks();
        StringBuilder text = new StringBuilder();
        Map<String, StringBuilder> thinking = new LinkedHashMap<>();
        String finishReason = null;
        for (JsonNode chunk : chunks) {
            JsonNode choice = chunk.path("choices").get(0);
            JsonNode delta = choice.path("delta");
            text.append(delta.path("content").asText(""));
            for (String field : List.of("reasoning", "reasoning_content")) {
                if (delta.has(field)) {
                    thinking.computeIfAbsent(field, f -> new StringBuilder()).append(delta.path(field).asText());
                    assertThat(delta.has("content")).as("reasoning travels on its own chunk").isFalse();
                }
            }
            if (!choice.path("finish_reason").isNull()) {
                finishReason = choice.path("finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo(content);
        assertThat(finishReason).isEqualTo(finish);
        if (reasoningField == null) {
            assertThat(thinking).isEmpty();
        } else {
            assertThat(thinking).containsOnlyKeys(reasoningField);
            assertThat(thinking.get(reasoningField).toString()).isEqualTo(reasoning);
        }
    }

    @Test
    void toolCallDeltasKeepTheirShapeAndArgumentsConcatenateToTheUpstreams() {
        List<JsonNode> calls = new ArrayList<>();
        String finish = null;
        for (JsonNode chunk : relay("openai-tools.sse").chunks()) {
            JsonNode choice = chunk.path("choices").get(0);
            choice.path("delta").path("tool_calls").forEach(calls::add);
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        Map<Integer, StringBuilder> arguments = new TreeMap<>();
        Map<Integer, JsonNode> opened = new TreeMap<>();
        for (JsonNode call : calls) {
            int index = call.path("index").asInt();
            if (opened.putIfAbsent(index, call) == null) {
                assertThat(call.path("id").asText()).isNotEmpty();
                assertThat(call.path("type").asText()).isEqualTo("function");
                assertThat(call.path("function").path("name").asText()).isNotEmpty();
            } else {
                assertThat(call.has("id") || call.has("type") || call.path("function").has("name"))
                        .as("later deltas carry only index and arguments: " + call).isFalse();
            }
            arguments.computeIfAbsent(index, i -> new StringBuilder())
                    .append(call.path("function").path("arguments").asText(""));
        }
        assertThat(opened.get(0).path("id").asText()).isEqualTo("call_A1b2C3");
        assertThat(opened.get(0).path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(opened.get(1).path("id").asText()).isEqualTo("call_D4e5F6");
        assertThat(opened.get(1).path("function").path("name").asText()).isEqualTo("get_time");
        assertThat(arguments.get(0).toString()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(arguments.get(1).toString()).isEqualTo("{\"tz\": \"CET\"}");
    }

    @Test
    void oldOllamaToolCallEndsWithToolCallsNotStop() {
        List<JsonNode> chunks = relay("ollama-old-tools.sse").chunks();
        List<JsonNode> calls = new ArrayList<>();
        chunks.forEach(c -> c.path("choices").get(0).path("delta").path("tool_calls").forEach(calls::add));
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().path("id").asText()).isEqualTo("call_x1y2z3");
        assertThat(calls.getFirst().path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(calls.getFirst().path("function").path("arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(chunks.getLast().path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void logprobsArePassedThroughPerChunkAndNullStaysNull() {
        List<JsonNode> upstream = new ArrayList<>();
        for (String line : Script.transcript("vllm-logprobs.sse").text().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode choice = GatewayClient.json(line.substring(6)).path("choices").get(0);
                if (!choice.path("delta").path("content").asText("").isEmpty()) {
                    upstream.add(choice.path("logprobs"));
                }
            }
        }
        List<JsonNode> relayed = new ArrayList<>();
        for (JsonNode chunk : relay("vllm-logprobs.sse", "\"logprobs\":true", "\"top_logprobs\":2").chunks()) {
            JsonNode choice = chunk.path("choices").get(0);
            if (choice.path("delta").has("content") && !choice.path("delta").path("content").asText().isEmpty()) {
                relayed.add(choice.path("logprobs"));
            } else {
                assertThat(choice.path("logprobs").isNull()).as("no logprobs invented: " + chunk).isTrue();
            }
        }
        assertThat(upstream).hasSize(2);
        assertThat(relayed).isEqualTo(upstream);

        for (JsonNode chunk : relay("openai.sse", "\"logprobs\":true").chunks()) {
            assertThat(chunk.path("choices").get(0).path("logprobs").isNull()).as("upstream null stays null").isTrue();
        }
    }

    @Test
    void anUpstreamThatIgnoresStreamAndAnswersJsonIsStillStreamedCanonically() {
        fake.enqueueChat(Script.json(200, "{\"id\":\"chatcmpl-json\",\"object\":\"chat.completion\",\"created\":1751000000,"
                + "\"model\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Whole answer\"},"
                + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                + "\"total_tokens\":5}}"));
        GatewayClient.Stream stream = gateway.client().stream(chatBody(MODEL, true, USAGE));
        assertThat(stream.data()).containsExactly(
                chunk("chatcmpl-json", 1751000000, "{\"role\":\"assistant\",\"content\":\"\"}", "null"),
                chunk("chatcmpl-json", 1751000000, "{\"content\":\"Whole answer\"}", "null"),
                chunk("chatcmpl-json", 1751000000, "{}", "\"stop\""),
                "{\"id\":\"chatcmpl-json\",\"object\":\"chat.completion.chunk\",\"created\":1751000000,\"model\":\""
                        + MODEL + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}",
                "[DONE]");
    }

    private static String chunk(String id, long created, String delta, String finish) {
        return "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created + ",\"model\":\"" + MODEL
                + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish
                + "}],\"usage\":null}";
    }

    @Test
    void upstreamWritesSplitInsideACharacterOrPaddedWithCommentsChangeNothingForTheClient() {
        String plain = relay("openai.sse").text();
        fake.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.SPLIT_MULTIBYTE));
        assertThat(gateway.client().stream(chatBody(MODEL, true)).text()).isEqualTo(plain).contains("wörld 🌍");
        fake.enqueueChat(Script.transcript("openai.sse").fault(FaultMode.KEEPALIVE_COMMENTS));
        assertThat(gateway.client().stream(chatBody(MODEL, true)).text()).isEqualTo(plain);
    }

    @Test
    void twoChoicesInterleaveEachWithItsOwnRoleAndFinish() {
        List<String> sequence = new ArrayList<>();
        for (JsonNode chunk : relay("openai-n2.sse", "\"n\":2").chunks()) {
            JsonNode choice = chunk.path("choices").get(0);
            JsonNode delta = choice.path("delta");
            String what = delta.has("role") ? "role" : delta.has("content") ? "'" + delta.path("content").asText() + "'"
                    : "finish " + choice.path("finish_reason").asText();
            sequence.add(choice.path("index").asInt() + ":" + what);
        }
        assertThat(sequence).containsExactly("0:role", "0:'A'", "1:role", "1:'B'", "1:finish stop", "0:' longer'",
                "0:finish length");
    }
}
