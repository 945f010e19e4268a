package org.neuralpipeline.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkWriterTest {
    private static final String HEAD = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",";

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void writesOpenAisCanonicalSequenceWithUsage() throws Exception {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", null, true);
        String out = text(w.write(new StreamEvent.Role(0, "assistant")))
                + text(w.write(new StreamEvent.Content(0, "Hel", null)))
                + text(w.write(new StreamEvent.Role(0, "assistant")))
                + text(w.write(new StreamEvent.Finish(0, "stop")))
                + text(w.write(new StreamEvent.Finish(0, "stop")))
                + text(w.write(new StreamEvent.Usage(OpenAiJson.MAPPER.readTree(
                        "{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}"))))
                + text(ChunkWriter.DONE);
        assertThat(out).isEqualTo(
                "data: " + HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: " + HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                + "data: " + HEAD + "\"choices\":[{\"index\":0,\"delta\":{},"
                        + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
                + "data: " + HEAD + "\"choices\":[],"
                        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
                + "data: [DONE]\n\n");
    }

    @Test
    void withoutIncludeUsageThereIsNoUsageFieldAndNoUsageChunk() throws Exception {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", "fp_x", false);
        String content = text(w.write(new StreamEvent.Content(0, "a", null)));
        assertThat(content).doesNotContain("usage").contains("\"system_fingerprint\":\"fp_x\"");
        // the missing role chunk is written first, then the content
        assertThat(content.split("\n\n")).hasSize(2);
        assertThat(w.write(new StreamEvent.Usage(OpenAiJson.MAPPER.readTree("{\"total_tokens\":1}")))).isEmpty();
    }

    @Test
    void passesLogprobsReasoningAndToolCallsThrough() throws Exception {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", null, false);
        w.write(new StreamEvent.Role(0, "assistant"));
        JsonNode logprobs = OpenAiJson.MAPPER.readTree(
                "{\"content\":[{\"token\":\"a\",\"logprob\":-0.25,\"bytes\":[97],\"top_logprobs\":[]}],\"refusal\":null}");
        assertThat(text(w.write(new StreamEvent.Content(0, "a", logprobs))))
                .contains("\"logprobs\":{\"content\":[{\"token\":\"a\",\"logprob\":-0.25,\"bytes\":[97],\"top_logprobs\":[]}],"
                        + "\"refusal\":null}");
        assertThat(text(w.write(new StreamEvent.Reasoning(0, "hmm", "reasoning_content"))))
                .contains("\"delta\":{\"reasoning_content\":\"hmm\"}");
        assertThat(text(w.write(new StreamEvent.ToolCall(0, 0, "call_1", "function", "get", ""))))
                .contains("\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get\",\"arguments\":\"\"}}]}");
        assertThat(text(w.write(new StreamEvent.ToolCall(0, 0, null, null, null, "{\\\"a\\\":1}"))))
                .contains("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\\\\\"a\\\\\\\":1}\"}}]}");
    }

    @Test
    void eachChoiceGetsItsOwnRoleAndFinish() {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", null, false);
        String out = text(w.write(new StreamEvent.Content(1, "x", null)))
                + text(w.write(new StreamEvent.Content(0, "y", null)))
                + text(w.write(new StreamEvent.Finish(1, "length")))
                + text(w.write(new StreamEvent.Finish(0, "stop")));
        assertThat(out.split("\n\n")).hasSize(6);
        assertThat(out).contains("{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}")
                .contains("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}")
                .contains("{\"index\":1,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"length\"}");
        assertThat(w.finished(0)).isTrue();
        assertThat(w.finished(1)).isTrue();
    }

    @Test
    void anErrorIsOneDataEventInOpenAisShape() {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", null, false);
        assertThat(text(w.error("upstream 'x': gone", "upstream_error", "upstream_truncated")))
                .isEqualTo("data: {\"error\":{\"message\":\"upstream 'x': gone\",\"type\":\"upstream_error\","
                        + "\"param\":null,\"code\":\"upstream_truncated\"}}\n\n");
    }

    @Test
    void multiByteTextIsWrittenAsUtf8() {
        ChunkWriter w = new ChunkWriter("c1", 7, "m", null, false);
        w.write(new StreamEvent.Role(0, "assistant"));
        assertThat(text(w.write(new StreamEvent.Content(0, "héllo 世界 🎉", null)))).contains("\"content\":\"héllo 世界 🎉\"");
    }

    /**
     * Plain content chunks (every token's) are written from constant bytes around the text; they must equal what
     * Jackson writes for the whole chunk, whatever the text holds and whichever optional fields are on.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tick ", "", "quote \" backslash \\ slash /", "new\nline\ttab\r\u0000\u0001\u001f\u007f",
            "héllo 世界 🎉", "\u2028\u2029<script>&amp;", "lone \ud83c surrogate"})
    void plainContentChunksAreExactlyWhatJacksonWritesForTheChunk(String text) throws Exception {
        for (boolean usage : new boolean[] {false, true}) {
            for (String fingerprint : new String[] {null, "fp_\"1\""}) {
                ChunkWriter w = new ChunkWriter("chatcmpl-\u00e9\"x", 1_700_000_000L, "m/\u4e16", fingerprint, usage);
                w.write(new StreamEvent.Role(12, "assistant"));
                for (int choice : new int[] {12, 3}) {
                    ObjectNode chunk = OpenAiJson.MAPPER.createObjectNode()
                            .put("id", "chatcmpl-\u00e9\"x").put("object", "chat.completion.chunk")
                            .put("created", 1_700_000_000L).put("model", "m/\u4e16");
                    if (fingerprint != null) {
                        chunk.put("system_fingerprint", fingerprint);
                    }
                    ObjectNode c = chunk.putArray("choices").addObject().put("index", choice);
                    c.putObject("delta").put("content", text);
                    c.putNull("logprobs");
                    c.putNull("finish_reason");
                    if (usage) {
                        chunk.putNull("usage");
                    }
                    byte[] written = w.write(new StreamEvent.Content(choice, text, null));
                    String expected = "data: " + new String(OpenAiJson.MAPPER.writeValueAsBytes(chunk),
                            StandardCharsets.UTF_8) + "\n\n";
                    String actual = text(written);
                    if (choice == 12) {
                        assertThat(actual).isEqualTo(expected);
                    } else { // choice 3 had no role yet: its role chunk comes first
                        assertThat(actual).startsWith("data: ").endsWith(expected);
                        assertThat(actual.substring(0, actual.length() - expected.length()))
                                .contains("\"index\":3,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}")
                                .endsWith("}\n\n");
                    }
                }
            }
        }
    }
}
