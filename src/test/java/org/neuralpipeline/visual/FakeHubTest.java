package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.SchemaCheck;

/** The page's tests are only as good as their fake: its messages must be what docs/schemas/ describes. */
class FakeHubTest {

    @Test
    void sendsWhatTheSchemasDescribe() throws Exception {
        List<String> messages = List.of(FakeHub.started(1, "r1"), FakeHub.token(2, "r1", "a", 0.25, 1.0, 0.5),
                FakeHub.token(3, "r1", "b", 0.0, 0.5, null), FakeHub.state(4, "r1", 12.5),
                FakeHub.ended(5, "r1", "stop"), FakeHub.failed(6, "r2", "upstream 'x': reset"), FakeHub.dropped(7));
        for (String message : messages) {
            assertThat(SchemaCheck.violations(FakeHub.JSON.readTree(message))).as(message).isEmpty();
        }
    }
}
