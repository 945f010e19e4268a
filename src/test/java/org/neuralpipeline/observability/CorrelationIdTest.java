package org.neuralpipeline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class CorrelationIdTest {

    @Test
    void keepsAWellFormedIncomingId() {
        assertThat(CorrelationId.fromHeader("req-42_a.b:c/d")).isEqualTo("req-42_a.b:c/d");
    }

    @Test
    void replacesMissingEmptyTooLongOrUnsafeIds() {
        for (String bad : new String[] {null, "", "a".repeat(CorrelationId.MAX_LENGTH + 1), "has space",
                "line\nbreak", "quote\"", "back\\slash", "tab\t", "ünïcode"}) {
            String id = CorrelationId.fromHeader(bad);
            assertThat(id).as("replacement for %s", bad).matches("[0-9a-f]{32}").isNotEqualTo(bad);
        }
        assertThat(CorrelationId.fromHeader("a".repeat(CorrelationId.MAX_LENGTH))).hasSize(CorrelationId.MAX_LENGTH);
    }

    @Test
    void generatedIdsAreDistinct() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(CorrelationId.generate());
        }
        assertThat(ids).hasSize(10_000);
    }

    @Test
    void runPutsTheIdInTheMdcAndRestoresThePreviousOne() {
        MDC.put(CorrelationId.MDC_KEY, "outer");
        String[] seen = new String[2];
        CorrelationId.run("inner", () -> {
            seen[0] = MDC.get(CorrelationId.MDC_KEY);
            CorrelationId.run("innermost", () -> seen[1] = MDC.get(CorrelationId.MDC_KEY));
        });
        assertThat(seen).containsExactly("inner", "innermost");
        assertThat(MDC.get(CorrelationId.MDC_KEY)).isEqualTo("outer");
        MDC.remove(CorrelationId.MDC_KEY);
        CorrelationId.run("only", () -> { });
        assertThat(MDC.get(CorrelationId.MDC_KEY)).isNull();
    }
}
