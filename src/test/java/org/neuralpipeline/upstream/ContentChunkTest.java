package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseParser;
import org.neuralpipeline.testing.Script;

/**
 * The {@link ContentChunk} fast path changes nothing but speed: every recorded transcript and every odd chunk
 * gives the same events, steps and errors with it as without it, and the plain chunks really take it.
 */
class ContentChunkTest {

    /** What a normaliser made of a sequence of data payloads: sink lines, steps, errors, final state. */
    record Outcome(List<String> lines, List<String> steps, boolean complete, boolean delivered, int fastChunks) {
        Outcome withoutFastCount() {
            return new Outcome(lines, steps, complete, delivered, 0);
        }
    }

    /** SSE events of a transcript as (type, data) pairs, the way ChatCall hands them to the normaliser. */
    static List<SseEvent> transcript(String name) {
        List<SseEvent> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        parser.feed(Script.resource("/upstreams/" + name + ".sse"));
        parser.end();
        return events;
    }

    static Outcome run(boolean fast, List<SseEvent> events) {
        RecordingSink sink = new RecordingSink();
        DialectNormalizer n = new DialectNormalizer("test", sink, fast);
        List<String> steps = new ArrayList<>();
        for (SseEvent e : events) {
            try {
                steps.add(String.valueOf(e.type().equals("error") ? n.acceptErrorEvent(e.data()) : n.accept(e.data())));
            } catch (UpstreamException x) {
                steps.add(x.kind() + ": " + x.getMessage() + " after " + x.afterFirstEvent());
            }
        }
        if (n.complete()) {
            n.finish();
        }
        return new Outcome(sink.lines(), steps, n.complete(), n.delivered(), n.fastPathChunks());
    }

    static List<SseEvent> data(String... payloads) {
        List<SseEvent> events = new ArrayList<>();
        for (String p : payloads) {
            events.add(new SseEvent(SseEvent.DEFAULT_TYPE, p, ""));
        }
        return events;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llamacpp", "llamacpp-error", "llamacpp-legacy-error", "lmstudio", "ollama-new",
            "ollama-old", "ollama-old-tools", "openai", "openai-n2", "openai-tools", "vllm", "vllm-error",
            "vllm-logprobs"})
    void everyTranscriptGivesTheSameEventsWithAndWithoutTheFastPath(String name) {
        List<SseEvent> events = transcript(name);
        Outcome tree = run(false, events);
        Outcome fast = run(true, events);

        assertThat(tree.lines()).isNotEmpty();
        assertThat(fast.withoutFastCount()).isEqualTo(tree);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llamacpp", "lmstudio", "ollama-new", "ollama-old", "openai", "vllm"})
    void theContentChunksOfEveryDialectTakeTheFastPath(String name) {
        List<SseEvent> events = transcript(name);
        long content = events.stream()
                .filter(e -> e.data().contains("\"content\":\"") && !e.data().contains("logprobs\":{")
                        && !e.data().contains("\"usage\":{") && !e.data().contains("reasoning"))
                .count();

        assertThat(content).as("content chunks in %s", name).isPositive();
        assertThat(run(true, events).fastChunks()).isGreaterThanOrEqualTo((int) content);
    }

    @Test
    void plainChunksInAnyFieldOrderTakeTheFastPath() {
        Outcome fast = run(true, data(
                "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        + "\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                        + "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
                "{\"choices\":[{\"finish_reason\":null,\"delta\":{\"content\":\"h\\u00e9\\n\"},\"index\":0}],"
                        + "\"usage\":null,\"id\":\"c\",\"model\":\"m\"}",
                "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
                "{\"choices\":[]}"));

        assertThat(fast.fastChunks()).isEqualTo(4);
        assertThat(fast.lines()).containsExactly(
                "{\"start\":{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":null}}",
                "{\"role\":{\"choice\":0,\"role\":\"assistant\"}}",
                "{\"content\":{\"choice\":0,\"text\":\"hé\\n\",\"logprobs\":null}}",
                "{\"finish\":{\"choice\":0,\"reason\":\"stop\"}}");
        assertThat(fast.complete()).isTrue();
    }

    /** Chunks the fast path must hand to the tree reader, each with the tree reader's verdict. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}", // duplicate key
        "{\"id\":\"a\",\"id\":\"b\",\"choices\":[]}",
        "{\"obfuscation\":\"a\",\"choices\":[],\"obfuscation\":\"b\"}", // a duplicate of a skipped field
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":5}}]}", // a number as content
        "{\"choices\":[{\"index\":0,\"delta\":{\"role\":7,\"content\":\"x\"}}]}",
        "{\"created\":1.5e9,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}",
        "{\"created\":123456789012345678901234567890,\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
        "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}",
        "{\"object\":\"error\",\"message\":\"old vLLM\",\"type\":\"x\",\"code\":400}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"choices\":[{\"index\":3000000000,\"delta\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}},{\"index\":1,\"delta\":{\"content\":\"y\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\",\"reasoning_content\":\"r\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"logprobs\":{\"content\":[]}}]}",
        "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":null,\"finish_reason\":\"stop\"}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":7}]}",
        "{\"choices\":[7]}",
        "{\"choices\":{\"index\":0}}",
        "{\"prompt_progress\":{\"total\":1},\"choices\":[]}",
        "{\"x_unknown\":{},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]} trailing",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}{}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"",
        "[1,2]",
        "\"text\"",
        "nonsense"
    })
    void everythingElseGoesToTheTreeReaderWithTheSameResult(String odd) {
        String before = "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"a\"}}]}";
        List<SseEvent> events = data(before, odd, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        Outcome tree = run(false, events);
        Outcome fast = run(true, events);

        assertThat(fast.withoutFastCount()).isEqualTo(tree);
        assertThat(run(true, data(before, odd)).fastChunks()).as("only the plain chunk before it").isEqualTo(1);
    }
}
