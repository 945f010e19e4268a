package org.neuralpipeline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void masksCredentialHeadersWhateverTheirCase() {
        List<Map.Entry<String, String>> headers = List.of(
                Map.entry("Authorization", "Bearer sk-live-123"),
                Map.entry("cookie", "session=abc"),
                Map.entry("Set-Cookie", "a=b"),
                Map.entry("X-API-Key", "k1"),
                Map.entry("Proxy-Authorization", "Basic eA=="),
                Map.entry("X-Custom-Token", "t"),
                Map.entry("Content-Type", "application/json"),
                Map.entry("Accept", "text/event-stream"),
                Map.entry("Accept", "application/json"));
        assertThat(Redaction.headers(headers)).containsExactly(
                Map.entry("Authorization", Redaction.MASK),
                Map.entry("cookie", Redaction.MASK),
                Map.entry("Set-Cookie", Redaction.MASK),
                Map.entry("X-API-Key", Redaction.MASK),
                Map.entry("Proxy-Authorization", Redaction.MASK),
                Map.entry("X-Custom-Token", Redaction.MASK),
                Map.entry("Content-Type", "application/json"),
                Map.entry("Accept", "text/event-stream, application/json"));
    }

    @Test
    void secretsShowPresenceButNotValue() {
        assertThat(Redaction.secret("sk-abc")).isEqualTo(Redaction.MASK);
        assertThat(Redaction.secret("")).isEmpty();
        assertThat(Redaction.secret(null)).isEmpty();
    }
}
