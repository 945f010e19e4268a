package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(100, 30_000);

    @Test
    void firstAttemptWaitsExactlyTheReconnectionTime() {
        Random random = new Random(1);
        for (int i = 0; i < 100; i++) {
            assertThat(backoff.delayMillis(3_000, 1, random)).isEqualTo(3_000);
        }
    }

    @Test
    void laterAttemptsDoubleWithEqualJitterNeverBelowTheReconnectionTime() {
        Random random = new Random(42);
        for (int attempt = 2; attempt <= 5; attempt++) {
            long d = 1_000L << (attempt - 1);
            for (int i = 0; i < 200; i++) {
                assertThat(backoff.delayMillis(1_000, attempt, random))
                        .as("attempt %d", attempt)
                        .isBetween(Math.max(1_000, d / 2), d);
            }
        }
    }

    @Test
    void jitterSpreadsOverTheWholeUpperHalf() {
        Random random = new Random(7);
        long[] delays = IntStream.range(0, 2_000).mapToLong(i -> backoff.delayMillis(1_000, 4, random)).toArray();
        // d = 8000: uniform in [4000, 8000]
        assertThat(java.util.Arrays.stream(delays).min().orElseThrow()).isLessThan(4_100);
        assertThat(java.util.Arrays.stream(delays).max().orElseThrow()).isGreaterThan(7_900);
    }

    @Test
    void sameSeedGivesTheSameDelays() {
        Random a = new Random(99);
        Random b = new Random(99);
        for (int attempt = 1; attempt < 20; attempt++) {
            assertThat(backoff.delayMillis(500, attempt, a)).isEqualTo(backoff.delayMillis(500, attempt, b));
        }
    }

    @Test
    void capBoundsEveryDelayWithoutOverflowHoweverManyAttempts() {
        Random random = new Random(3);
        for (int attempt : new int[] {10, 62, 63, 64, 1_000, Integer.MAX_VALUE}) {
            assertThat(backoff.delayMillis(3_000, attempt, random)).isBetween(15_000L, 30_000L);
        }
        assertThat(backoff.delayMillis(Long.MAX_VALUE, 1, random)).isEqualTo(30_000);
    }

    @Test
    void floorKeepsRetryZeroFromSpinning() {
        Random random = new Random(5);
        assertThat(backoff.delayMillis(0, 1, random)).isEqualTo(100);
        assertThat(backoff.delayMillis(0, 2, random)).isBetween(100L, 200L);
    }

    @Test
    void zeroFloorAndZeroReconnectionTimeMeansNoDelay() {
        assertThat(new Backoff(0, 1_000).delayMillis(0, 5, new Random(1))).isZero();
    }

    @Test
    void rejectsAttemptZeroAndInvertedBounds() {
        assertThatThrownBy(() -> backoff.delayMillis(1_000, 0, new Random()))
                .hasMessage("attempt: 0 (expected: 1 or more)");
        assertThatThrownBy(() -> new Backoff(10, 5)).hasMessage("min, max: 10, 5 (expected: 0 <= min <= max)");
    }
}
