package org.neuralpipeline.upstream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Jazzer: whatever the chunks, the {@link ContentChunk} fast path gives the same events, steps and errors as
 * the tree reader alone. In a plain {@code mvn test} this replays the seeds in
 * {@code src/test/resources/org/neuralpipeline/upstream/ContentChunkFuzzTestInputs/sameAsTheTreeReader/}
 * (one data payload per line); fuzz for real with
 * {@code JAZZER_FUZZ=1 mvn test -Dtest=ContentChunkFuzzTest -Djazzer.max_duration=120s}.
 */
class ContentChunkFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void sameAsTheTreeReader(FuzzedDataProvider data) {
        String[] payloads = new String(data.consumeRemainingAsBytes(), UTF_8).split("\n", 6);
        var events = ContentChunkTest.data(payloads);

        ContentChunkTest.Outcome tree = ContentChunkTest.run(false, events);
        ContentChunkTest.Outcome fast = ContentChunkTest.run(true, events);

        assertThat(fast.withoutFastCount()).as("payloads %s", Arrays.toString(payloads)).isEqualTo(tree);
    }
}
