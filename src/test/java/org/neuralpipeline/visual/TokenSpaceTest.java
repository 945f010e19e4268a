package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenSpaceTest {

    private static long[] xy(int order, long d) {
        return TokenSpace.d2xy(order, d);
    }

    @Test
    void orderOneVisitsTheFourCellsInCurveOrder() {
        assertThat(xy(1, 0)).containsExactly(0, 0);
        assertThat(xy(1, 1)).containsExactly(0, 1);
        assertThat(xy(1, 2)).containsExactly(1, 1);
        assertThat(xy(1, 3)).containsExactly(1, 0);
    }

    /**
     * Order 2, n = 4, from the standard d2xy loop (s = 1, 2; rx = 1 & (t / 2); ry = 1 & (t ^ rx); rotate when
     * ry = 0: flip if rx = 1, then swap x and y; x += s * rx; y += s * ry; t /= 4):
     * <pre>
     * d = 4:  s=1: t=4, rx=0, ry=0 -> rotate (swap 0,0) -> (0,0); t=1. s=2: rx=0, ry=1 -> (0, 0+2) = (0,2)
     * d = 6:  s=1: t=6, rx=1, ry=1 -> (1,1); t=1. s=2: rx=0, ry=1 -> (1, 1+2) = (1,3)
     * d = 14: s=1: t=14, rx=1, ry=1 -> (1,1); t=3. s=2: rx=1, ry=0 -> flip in the 2x2 block (1,1) -> (0,0),
     *         swap -> (0,0), then x += 2 -> (2,0)
     * </pre>
     * The whole sequence is (0,0) (1,0) (1,1) (0,1) (0,2) (0,3) (1,3) (1,2) (2,2) (2,3) (3,3) (3,2) (3,1)
     * (2,1) (2,0) (3,0): each step moves to a neighbouring cell.
     */
    @Test
    void orderTwoMatchesTheStandardCurve() {
        long[][] expected = {{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 2}, {0, 3}, {1, 3}, {1, 2}, {2, 2}, {2, 3}, {3, 3},
                {3, 2}, {3, 1}, {2, 1}, {2, 0}, {3, 0}};
        for (int d = 0; d < 16; d++) {
            assertThat(xy(2, d)).as("d = %d", d).containsExactly(expected[d]);
        }
    }

    @Test
    void everyCellOfOrderEightIsVisitedOnceByNeighbouringSteps() {
        Set<Long> seen = new HashSet<>();
        long[] previous = null;
        for (long d = 0; d < 65_536; d++) {
            long[] p = xy(8, d);
            assertThat(p[0]).isBetween(0L, 255L);
            assertThat(p[1]).isBetween(0L, 255L);
            assertThat(seen.add(p[0] * 256 + p[1])).isTrue();
            if (previous != null) {
                assertThat(Math.abs(p[0] - previous[0]) + Math.abs(p[1] - previous[1])).isEqualTo(1);
            }
            previous = p;
        }
    }

    @Test
    void positionsAreNormalisedToTheUnitSquare() {
        TokenSpace space = new TokenSpace(65_536, 8);
        assertThat(space.position(0)).containsExactly(0.0, 0.0);
        assertThat(space.position(65_535)).containsExactly(1.0, 0.0); // the curve ends at (255, 0)
        assertThat(space.position(65_536)).containsExactly(0.0, 0.0); // ids wrap onto the curve
        assertThat(new TokenSpace(4, 1).position(2)).containsExactly(1.0, 1.0);
    }

    /** Published FNV-1a 32-bit test vectors (the FNV reference's fnv1a32 of these strings). */
    @Test
    void fnv1aMatchesPublishedVectors() {
        assertThat(TokenSpace.fnv1a32(bytes(""))).isEqualTo(0x811c9dc5L);
        assertThat(TokenSpace.fnv1a32(bytes("a"))).isEqualTo(0xe40c292cL);
        assertThat(TokenSpace.fnv1a32(bytes("foobar"))).isEqualTo(0xbf9cf968L);
    }

    /** Fixed values: the same token has the same id on every run and machine (no String.hashCode, no seed). */
    @Test
    void hashIdsAreStableAcrossRuns() {
        TokenSpace space = new TokenSpace(65_536, 8);
        assertThat(space.hashId("")).isEqualTo(0x811c9dc5L % 65_536); // 40389
        assertThat(space.hashId("a")).isEqualTo(10_540);
        assertThat(space.hashId("foobar")).isEqualTo(63_848);
        assertThat(space.hashId(" the")).isEqualTo(22_138);
        assertThat(new TokenSpace(1000, 8).hashId("foobar")).isEqualTo((int) (0xbf9cf968L % 1000));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
