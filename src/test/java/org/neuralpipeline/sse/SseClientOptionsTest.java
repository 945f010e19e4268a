package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SseClientOptionsTest {

    @Test
    void defaultsAreTheNamedConstants() {
        SseClientOptions o = SseClientOptions.DEFAULT;
        assertThat(o.reconnectionTime()).isEqualTo(Duration.ofSeconds(3));
        assertThat(o.maxReconnectDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.maxRetries()).isEqualTo(SseClientOptions.RETRIES_BY_METHOD);
        assertThat(o.maxLineBytes()).isEqualTo(SseParser.DEFAULT_MAX_BYTES);
    }

    @Test
    void getRetriesWithoutLimitAndPostNeverUnlessSetExplicitly() {
        assertThat(SseClientOptions.DEFAULT.maxRetriesFor(HttpMethod.GET)).isEqualTo(SseClientOptions.UNLIMITED_RETRIES);
        assertThat(SseClientOptions.DEFAULT.maxRetriesFor(HttpMethod.POST)).isZero();
        assertThat(SseClientOptions.DEFAULT.withMaxRetries(2).maxRetriesFor(HttpMethod.POST)).isEqualTo(2);
        assertThat(SseClientOptions.DEFAULT.withMaxRetries(0).maxRetriesFor(HttpMethod.GET)).isZero();
    }

    @Test
    void rejectsBadValuesNamingTheValueAndTheExpectation() {
        SseClientOptions d = SseClientOptions.DEFAULT;
        assertThatThrownBy(() -> d.withMaxRetries(-2))
                .hasMessage("maxRetries: -2 (expected: 0 or more, or -1 for the method's default)");
        assertThatThrownBy(() -> d.withIdleTimeout(Duration.ofMillis(-1)))
                .hasMessage("idleTimeout: PT-0.001S (expected: zero or more)");
        assertThatThrownBy(() -> d.withMinReconnectDelay(Duration.ofMinutes(1)))
                .hasMessage("minReconnectDelay: PT1M (expected: at most maxReconnectDelay, PT30S)");
        assertThatThrownBy(() -> d.withConnectTimeout(Duration.ZERO))
                .hasMessage("connectTimeout: PT0S (expected: 1 ms or more)");
        assertThatThrownBy(() -> d.withMaxBytes(0)).hasMessage("maxLineBytes: 0 (expected: 1 or more)");
        assertThatThrownBy(() -> d.withReconnectionTime(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("reconnectionTime");
    }
}
