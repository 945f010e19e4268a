package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.upstream.DialectNormalizer.Step;

/** Each normalisation rule of {@link DialectNormalizer}, on hand-written chunks (quirks table: docs/UPSTREAMS.md). */
class DialectNormalizerTest {
    private final RecordingSink sink = new RecordingSink();
    private final DialectNormalizer normalizer = new DialectNormalizer("test", sink);

    /** A chunk with the usual envelope around {@code choices}. */
    private static String chunk(String choices) {
        return "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":100,\"model\":\"m\",\"choices\":["
                + choices + "]}";
    }

    private static String delta(int index, String delta, String finish) {
        return "{\"index\":" + index + ",\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}";
    }

    private List<Step> feed(String... payloads) {
        List<Step> steps = new ArrayList<>();
        for (String p : payloads) {
            steps.add(normalizer.accept(p));
        }
        return steps;
    }

    /** The recorded lines without the start line. */
    private List<String> events() {
        return sink.lines().stream().filter(l -> !l.startsWith("{\"start\"")).toList();
    }

    private static String role(int choice) {
        return "{\"role\":{\"choice\":" + choice + ",\"role\":\"assistant\"}}";
    }

    private static String content(int choice, String text) {
        return "{\"content\":{\"choice\":" + choice + ",\"text\":\"" + text + "\",\"logprobs\":null}}";
    }

    private static String finish(int choice, String reason) {
        return "{\"finish\":{\"choice\":" + choice + ",\"reason\":\"" + reason + "\"}}";
    }

    @Test
    void roleRepeatedOnEveryChunkYieldsOneRole() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"a\"}", null)),
                chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"b\"}", null)),
                chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"\"}", "stop")));

        assertThat(events()).containsExactly(role(0), content(0, "a"), content(0, "b"), finish(0, "stop"));
    }

    @Test
    void roleOnlyChunksDeliverNothingButStartTheChoice() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"content\":null}", null)),
                chunk(delta(0, "{\"role\":\"\",\"content\":\"\"}", null)));

        assertThat(sink.lines()).isEmpty();
        assertThat(normalizer.delivered()).isFalse();
        assertThat(normalizer.complete()).isFalse();
        assertThat(normalizer.incompleteReason()).isEqualTo("no finish_reason for choice 0");
    }

    @Test
    void nullEmptyAndAbsentContentProduceNoContentEvents() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"\"}", null)),
                chunk(delta(0, "{\"content\":null}", null)),
                chunk(delta(0, "{}", null)),
                chunk(delta(0, "{\"content\":\"x\"}", null)),
                chunk(delta(0, "{\"content\":\"\"}", "stop")));

        assertThat(events()).containsExactly(role(0), content(0, "x"), finish(0, "stop"));
    }

    @Test
    void finishOnTheLastContentChunkFollowsThatContent() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"\"}", null)),
                chunk("{\"index\":0,\"delta\":{\"content\":\" moon\"},\"logprobs\":null,\"finish_reason\":\"stop\","
                        + "\"stop_reason\":null}"));

        assertThat(events()).containsExactly(role(0), content(0, " moon"), finish(0, "stop"));
        assertThat(normalizer.complete()).isTrue();
    }

    @Test
    void lengthWinsOverATruncatedToolCall() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}", "length")));

        assertThat(events()).last().isEqualTo(finish(0, "length"));
    }

    @Test
    void stopAfterAToolCallBecomesToolCalls() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}", null)),
                chunk(delta(0, "{}", "stop")));

        assertThat(events()).last().isEqualTo(finish(0, "tool_calls"));
    }

    @Test
    void toolCallsBeatTheUpstreamsOwnReasonAndOtherReasonsPassThrough() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}", "content_filter")),
                chunk(delta(1, "{\"content\":\"no\"}", "content_filter")),
                chunk(delta(2, "{\"content\":\"x\"}", "abort")));

        assertThat(events()).contains(finish(0, "tool_calls"), finish(1, "content_filter"), finish(2, "abort"));
    }

    @Test
    void onlyOneFinishPerChoiceAndNothingAfterIt() {
        feed(chunk(delta(0, "{\"content\":\"a\"}", "stop")),
                chunk(delta(0, "{\"content\":\"late\"}", null)),
                chunk(delta(0, "{}", "length")));

        assertThat(events()).containsExactly(role(0), content(0, "a"), finish(0, "stop"));
    }

    @Test
    void reasoningKeepsTheUpstreamsFieldName() {
        feed(chunk(delta(0, "{\"reasoning_content\":\"think\"}", null)),
                chunk(delta(0, "{\"reasoning\":\"more\"}", null)),
                chunk(delta(0, "{\"reasoning\":\"same\",\"reasoning_content\":\"same\"}", null)));

        assertThat(events()).containsExactly(role(0),
                "{\"reasoning\":{\"choice\":0,\"text\":\"think\",\"field\":\"reasoning_content\"}}",
                "{\"reasoning\":{\"choice\":0,\"text\":\"more\",\"field\":\"reasoning\"}}",
                "{\"reasoning\":{\"choice\":0,\"text\":\"same\",\"field\":\"reasoning_content\"}}");
    }

    @Test
    void laterToolCallDeltasCarryOnlyIndexAndArguments() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}", null)),
                // some servers repeat id and name on every delta; an empty fragment adds nothing
                chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}", null)),
                chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\"}}]}", null)),
                chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]}", "tool_calls")));

        assertThat(events()).containsExactly(role(0),
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"name\":\"f\","
                        + "\"arguments\":\"\"}}",
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":null,\"type\":null,\"name\":null,"
                        + "\"arguments\":\"{\\\"a\\\"\"}}",
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":null,\"type\":null,\"name\":null,"
                        + "\"arguments\":\":1}\"}}",
                finish(0, "tool_calls"));
    }

    @Test
    void toolCallWithoutTypeIsAFunctionAndObjectArgumentsAreSerialised() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]}",
                "tool_calls")));

        assertThat(events()).contains("{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":\"c\",\"type\":\"function\","
                + "\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}");
    }

    @Test
    void customToolCallKeepsItsTypeNameAndInput() {
        feed(chunk(delta(0, "{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"custom\","
                + "\"custom\":{\"name\":\"grep\",\"input\":\"-r x\"}}]}", "tool_calls")));

        assertThat(events()).contains("{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":\"c\",\"type\":\"custom\","
                + "\"name\":\"grep\",\"arguments\":\"-r x\"}}");
    }

    @Test
    void deprecatedFunctionCallBecomesToolCallZero() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"function_call\":{\"name\":\"f\",\"arguments\":\"\"}}", null)),
                chunk(delta(0, "{\"function_call\":{\"arguments\":\"{}\"}}", null)),
                chunk(delta(0, "{}", "function_call")));

        assertThat(events()).containsExactly(role(0),
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":null,\"type\":\"function\",\"name\":\"f\","
                        + "\"arguments\":\"\"}}",
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":null,\"type\":null,\"name\":null,"
                        + "\"arguments\":\"{}\"}}",
                finish(0, "tool_calls"));
    }

    @Test
    void logprobsPassThroughUnchangedAndNullStaysNull() {
        String logprobs = "{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.5,\"bytes\":[72,105],\"top_logprobs\":[]}],"
                + "\"refusal\":null}";
        feed(chunk("{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"logprobs\":" + logprobs + ",\"finish_reason\":null}"),
                chunk(delta(0, "{\"content\":\"!\"}", null)));

        assertThat(events()).containsExactly(role(0),
                "{\"content\":{\"choice\":0,\"text\":\"Hi\",\"logprobs\":" + logprobs + "}}",
                content(0, "!"));
    }

    @Test
    void logprobsOnAChunkWithoutContentTravelOnAnEmptyContent() {
        // llama.cpp puts the probabilities of a partial result on its last delta, Ollama on the reasoning chunk
        String logprobs = "{\"content\":[{\"token\":\"x\",\"logprob\":-1.0,\"bytes\":null,\"top_logprobs\":[]}]}";
        feed(chunk("{\"index\":0,\"delta\":{\"reasoning\":\"x\"},\"logprobs\":" + logprobs + ",\"finish_reason\":null}"),
                chunk("{\"index\":0,\"delta\":{},\"logprobs\":{\"content\":[]},\"finish_reason\":\"stop\"}"));

        assertThat(events()).containsExactly(role(0),
                "{\"reasoning\":{\"choice\":0,\"text\":\"x\",\"field\":\"reasoning\"}}",
                "{\"content\":{\"choice\":0,\"text\":\"\",\"logprobs\":" + logprobs + "}}",
                finish(0, "stop"));
    }

    @Test
    void llamaCppPromptProgressChunksAreIgnored() {
        feed("{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}],"
                + "\"created\":5,\"id\":\"c\",\"model\":\"m\",\"object\":\"chat.completion.chunk\","
                + "\"prompt_progress\":{\"total\":9,\"cache\":0,\"processed\":9,\"time_ms\":3}}");

        assertThat(sink.lines()).isEmpty();
        assertThat(normalizer.incompleteReason()).isEqualTo("no choice started");
    }

    @Test
    void usageChunkBecomesOneUsageAfterEveryFinish() {
        feed("{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}",
                chunk(delta(0, "{\"content\":\"a\"}", "stop")));
        assertThat(events()).doesNotContain("{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");

        normalizer.finish();

        assertThat(events()).containsExactly(role(0), content(0, "a"), finish(0, "stop"),
                "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");
    }

    @Test
    void continuousUsageStatsEmitOnlyTheLastUsage() {
        feed("{\"id\":\"c1\",\"choices\":[" + delta(0, "{\"content\":\"a\"}", null)
                        + "],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}",
                "{\"id\":\"c1\",\"choices\":[" + delta(0, "{\"content\":\"b\"}", "stop")
                        + "],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}",
                "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}",
                "[DONE]");
        normalizer.finish();

        assertThat(events()).filteredOn(l -> l.startsWith("{\"usage\""))
                .containsExactly("{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}");
    }

    @Test
    void startTakesTheFirstCreatedAndKeepsTheFingerprint() {
        feed("{\"id\":\"c1\",\"created\":100,\"model\":\"m\",\"system_fingerprint\":\"b1\",\"choices\":["
                        + delta(0, "{\"role\":\"assistant\",\"content\":null}", null) + "]}",
                "{\"id\":\"c1\",\"created\":101,\"model\":\"m\",\"system_fingerprint\":\"b1\",\"choices\":["
                        + delta(0, "{\"content\":\"a\"}", null) + "]}");

        assertThat(sink.lines().get(0))
                .isEqualTo("{\"start\":{\"id\":\"c1\",\"created\":100,\"model\":\"m\",\"system_fingerprint\":\"b1\"}}");
    }

    @Test
    void startWithoutCreatedIsZeroAndMissingFieldsComeFromLaterChunks() {
        feed("{\"choices\":[" + delta(0, "{\"role\":\"assistant\"}", null) + "]}",
                "{\"id\":\"c9\",\"model\":\"m\",\"choices\":[" + delta(0, "{\"content\":\"a\"}", null) + "]}");

        assertThat(sink.lines().get(0))
                .isEqualTo("{\"start\":{\"id\":\"c9\",\"created\":0,\"model\":\"m\",\"system_fingerprint\":null}}");
    }

    @Test
    void nonStandardFieldsAreDropped() {
        String plain = chunk(delta(0, "{\"content\":\"a\"}", "stop"));
        String decorated = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":100,\"model\":\"m\","
                + "\"obfuscation\":\"zz\",\"service_tier\":\"default\",\"prompt_token_ids\":[1,2],"
                + "\"timings\":{\"predicted_n\":1},\"__verbose\":{\"content\":\"a\"},\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"a\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\","
                + "\"stop_reason\":null,\"token_ids\":[7]}]}";
        RecordingSink plainSink = new RecordingSink();
        new DialectNormalizer("test", plainSink).accept(plain);

        feed(decorated);

        assertThat(sink.lines()).isEqualTo(plainSink.lines()).isNotEmpty();
    }

    @Test
    void interleavedChoicesEachGetTheirRoleAndFinish() {
        feed(chunk(delta(0, "{\"role\":\"assistant\",\"content\":\"\"}", null) + ","
                        + delta(1, "{\"role\":\"assistant\",\"content\":\"\"}", null)),
                chunk(delta(1, "{\"content\":\"B\"}", null)),
                chunk(delta(0, "{\"content\":\"A\"}", null)),
                chunk(delta(0, "{}", "stop")));

        assertThat(normalizer.complete()).isFalse();
        assertThat(normalizer.incompleteReason()).isEqualTo("no finish_reason for choice 1");

        feed(chunk(delta(1, "{}", "length")));

        assertThat(events()).containsExactly(role(1), content(1, "B"), role(0), content(0, "A"), finish(0, "stop"),
                finish(1, "length"));
        assertThat(normalizer.complete()).isTrue();
    }

    @Test
    void doneEndsTheStreamAndLaterPayloadsAreIgnored() {
        assertThat(feed(chunk(delta(0, "{\"content\":\"a\"}", "stop")), "[DONE]", chunk(delta(1, "{\"content\":\"b\"}", null))))
                .containsExactly(Step.CONTINUE, Step.DONE, Step.DONE);

        assertThat(events()).containsExactly(role(0), content(0, "a"), finish(0, "stop"));
    }

    @Test
    void blankDataIsIgnored() {
        assertThat(feed("", " ")).containsExactly(Step.CONTINUE, Step.CONTINUE);
        assertThat(sink.lines()).isEmpty();
    }

    @Test
    void errorObjectBecomesAFailure() {
        feed(chunk(delta(0, "{\"content\":\"a\"}", null)));

        Step step = normalizer.accept("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":500}}");

        assertThat(step).isEqualTo(Step.FAILED);
        assertThat(events()).last()
                .isEqualTo("{\"failure\":{\"message\":\"boom\",\"type\":\"server_error\",\"code\":\"500\"}}");
        assertThat(normalizer.delivered()).isTrue();
    }

    @Test
    void vllmTopLevelErrorObjectBecomesAFailure() {
        Step step = normalizer.accept("{\"object\":\"error\",\"message\":\"bad\",\"type\":\"BadRequestError\","
                + "\"param\":null,\"code\":400}");

        assertThat(step).isEqualTo(Step.FAILED);
        assertThat(normalizer.failure().message()).isEqualTo("bad");
        assertThat(normalizer.failure().code()).isEqualTo("400");
        assertThat(normalizer.delivered()).as("a failure alone delivers nothing").isFalse();
    }

    @Test
    void ollamaStringErrorBecomesAFailure() {
        assertThat(normalizer.accept("{\"error\":\"model runner has unexpectedly stopped\"}")).isEqualTo(Step.FAILED);
        assertThat(normalizer.failure().message()).isEqualTo("model runner has unexpectedly stopped");
    }

    @Test
    void falsyErrorMembersAreNotErrors() {
        assertThat(feed("{\"error\":null,\"choices\":[]}", "{\"error\":false,\"choices\":[]}", "{\"error\":\"\",\"choices\":[]}"))
                .containsOnly(Step.CONTINUE);
    }

    @Test
    void errorEventTypeIsAFailureEvenWithoutJson() {
        assertThat(normalizer.acceptErrorEvent("overloaded")).isEqualTo(Step.FAILED);
        assertThat(normalizer.failure().message()).isEqualTo("overloaded");
    }

    @Test
    void legacyErrorLineValueIsTheErrorObjectItself() {
        assertThat(normalizer.acceptErrorEvent("{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}"))
                .isEqualTo(Step.FAILED);
        assertThat(normalizer.failure()).isEqualTo(
                new org.neuralpipeline.openai.StreamEvent.Failure("Loading model", "unavailable_error", "503"));
    }

    @Test
    void malformedJsonIsAProtocolErrorNamingTheEvent() {
        feed(chunk(delta(0, "{\"content\":\"a\"}", null)));

        assertThatThrownBy(() -> normalizer.accept("{\"id\":\"c1\",\"choices\":[{"))
                .isInstanceOfSatisfying(UpstreamException.class, e -> {
                    assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
                    assertThat(e.afterFirstEvent()).isTrue();
                    assertThat(e.getMessage()).startsWith("upstream 'test': data event 2 is not valid JSON (");
                });
    }

    @Test
    void jsonThatIsNotAnObjectIsAProtocolError() {
        assertThatThrownBy(() -> normalizer.accept("[1,2]"))
                .isInstanceOfSatisfying(UpstreamException.class, e -> {
                    assertThat(e.kind()).isEqualTo(UpstreamException.Kind.PROTOCOL);
                    assertThat(e.afterFirstEvent()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("upstream 'test': data event 1 is not a JSON object");
                });
    }

    @Test
    void wholeCompletionIsReadLikeOneChunk() {
        Step step = normalizer.acceptCompletion(normalizer.parse("{\"id\":\"c2\",\"object\":\"chat.completion\","
                + "\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Hi\",\"reasoning_content\":\"r\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}", "answer"));
        normalizer.finish();

        assertThat(step).isEqualTo(Step.DONE);
        assertThat(normalizer.complete()).isTrue();
        assertThat(sink.lines()).containsExactly(
                "{\"start\":{\"id\":\"c2\",\"created\":7,\"model\":\"m\",\"system_fingerprint\":null}}",
                role(0),
                "{\"reasoning\":{\"choice\":0,\"text\":\"r\",\"field\":\"reasoning_content\"}}",
                content(0, "Hi"),
                "{\"tool_call\":{\"choice\":0,\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"name\":\"f\","
                        + "\"arguments\":\"{}\"}}",
                finish(0, "tool_calls"),
                "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");
    }
}
