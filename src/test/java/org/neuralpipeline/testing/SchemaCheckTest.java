package org.neuralpipeline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class SchemaCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void reportsWhatDoesNotMatchTheDocumentedSchema() throws Exception {
        assertThat(SchemaCheck.violations(JSON.readTree(
                "{\"message_type\":\"Dropped\",\"timestamp\":1.5,\"count\":3,\"reason\":\"slow_viewer\"}"))).isEmpty();
        assertThat(SchemaCheck.violations(JSON.readTree(
                "{\"message_type\":\"Dropped\",\"timestamp\":\"now\",\"count\":0,\"reason\":\"x\",\"extra\":1}")))
                .containsExactlyInAnyOrder("$.timestamp: \"now\" is not of type \"number\"", "$.count: 0 < 1",
                        "$.reason: \"x\" is not one of [\"slow_viewer\",\"replay_window\"]",
                        "$: undocumented field extra");
    }
}
