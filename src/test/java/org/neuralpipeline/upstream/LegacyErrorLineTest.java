package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LegacyErrorLineTest {

    private static String scanInTwo(String stream, int split) {
        byte[] b = stream.getBytes(StandardCharsets.UTF_8);
        LegacyErrorLine scanner = new LegacyErrorLine();
        String first = scanner.scan(b, 0, split);
        String second = scanner.scan(b, split, b.length - split);
        return first != null ? first : second;
    }

    @Test
    void findsTheLineAtEverySplitPoint() {
        String stream = "data: {\"choices\":[]}\n\nerror: {\"code\":500,\"message\":\"x\"}\n\n";
        for (int split = 0; split <= stream.length(); split++) {
            assertThat(scanInTwo(stream, split)).as("split at %d", split).isEqualTo("{\"code\":500,\"message\":\"x\"}");
        }
    }

    @Test
    void acceptsCrAndCrlfAndNoSpaceAfterTheColon() {
        assertThat(scanInTwo("data: a\r\rerror:{}\r\r", 3)).isEqualTo("{}");
        assertThat(scanInTwo("data: a\r\n\r\nerror: {}\r\n", 9)).isEqualTo("{}");
    }

    @Test
    void ignoresErrorTextAnywhereButAtALineStart() {
        assertThat(scanInTwo("data: error: {}\n\n: error: {}\n\n errors: 1\n\n", 5)).isNull();
        assertThat(scanInTwo("data: {\"error\": {}}\n\n", 5)).isNull();
    }

    @Test
    void aLineWithoutItsEndIsNotReported() {
        assertThat(scanInTwo("error: {\"code\":5", 4)).isNull();
    }
}
