package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValuesTest {

    @ParameterizedTest
    @CsvSource({"500ms, 500", "5s, 5000", "2m, 120000", "1h, 3600000", "1500, 1500", "0, 0", "' 30s ', 30000",
            "5 s, 5000"})
    void readsDurations(String text, long millis) {
        assertThat(Values.duration("timeouts.idle", text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "-5s", "1.5s", "5sec", "5S", "", "2d", "99999999999999999h"})
    void rejectsMalformedDurationsNamingKeyValueAndFormat(String text) {
        assertThatThrownBy(() -> Values.duration("timeouts.idle", text))
                .isInstanceOf(ConfigException.class)
                .hasMessage("timeouts.idle: \"" + text + "\" (expected: a duration such as 500ms, 30s, 2m)");
    }

    @ParameterizedTest
    @CsvSource({"500, 500ms", "5000, 5s", "120000, 120s", "90000, 90s", "3600000, 1h", "7200000, 2h", "0, 0s",
            "1500, 1500ms"})
    void writesDurationsInTheLargestExactUnit(long millis, String text) {
        assertThat(Values.formatDuration(Duration.ofMillis(millis))).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource({"4MiB, 4194304", "512KiB, 524288", "1048576, 1048576", "1GiB, 1073741824", "4mib, 4194304",
            "100B, 100", "2 KiB, 2048"})
    void readsSizes(String text, long bytes) {
        assertThat(Values.size("limits.max_body_bytes", text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"4MB", "4 M", "-1", "big", "1.5MiB", "9999999999999GiB", "99999999999999999999"})
    void rejectsMalformedSizes(String text) {
        assertThatThrownBy(() -> Values.size("limits.max_body_bytes", text))
                .hasMessage("limits.max_body_bytes: \"" + text + "\" (expected: a size such as 512KiB, 4MiB or 1048576)");
    }

    @ParameterizedTest
    @CsvSource({"4194304, 4MiB", "524288, 512KiB", "1073741824, 1GiB", "1000, 1000", "1536, 1536", "0, 0"})
    void writesSizesInTheLargestExactUnit(long bytes, String text) {
        assertThat(Values.formatSize(bytes)).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false", "TRUE, true", "' False ', false"})
    void readsBooleans(String text, boolean value) {
        assertThat(Values.bool("probe_local", text)).isEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "1", "on", ""})
    void rejectsOtherBooleans(String text) {
        assertThatThrownBy(() -> Values.bool("NEURAL_PIPELINE_PROBE_LOCAL", text))
                .hasMessage("NEURAL_PIPELINE_PROBE_LOCAL: \"" + text + "\" (expected: true or false)");
    }

    @ParameterizedTest
    @CsvSource({"30, 30.0", "2.5, 2.5", "0, 0.0", "1e3, 1000.0", "-1, -1.0", ".5, 0.5"})
    void readsNumbers(String text, double value) {
        assertThat(Values.number("builtin.tokens_per_second", text, "a number")).isEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "NaN", "Infinity", "30d", "0x10", "1e999"})
    void rejectsWhatIsNotAFiniteDecimalNumber(String text) {
        assertThatThrownBy(() -> Values.number("builtin.tokens_per_second", text, "a number"))
                .hasMessage("builtin.tokens_per_second: \"" + text + "\" (expected: a number)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "80.5", "99999999999", ""})
    void rejectsWhatIsNotAnInteger(String text) {
        assertThatThrownBy(() -> Values.integer("NEURAL_PIPELINE_SERVER_PORT", text, "0-65535"))
                .hasMessage("NEURAL_PIPELINE_SERVER_PORT: \"" + text + "\" (expected: 0-65535)");
    }
}
