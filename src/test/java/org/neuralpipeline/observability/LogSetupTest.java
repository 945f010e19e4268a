package org.neuralpipeline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogSetupTest {
    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        LogSetup.apply(LogSetup.Format.TEXT);
    }

    @Test
    void jsonLinesCarryTheAgreedFieldsAndTheRequestId() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        LogSetup.apply(LogSetup.Format.JSON);

        CorrelationId.run("req-7", () -> LoggerFactory.getLogger("np.test").info("hello {}", "world"));

        String line = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("hello world")).findFirst().orElseThrow();
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.path("message").asText()).isEqualTo("hello world");
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("logger").asText()).isEqualTo("np.test");
        assertThat(json.path("request_id").asText()).isEqualTo("req-7");
        assertThat(json.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*");
        assertThat(LogSetup.current()).isEqualTo(LogSetup.Format.JSON);
    }

    @Test
    void textFormatIsOneReadableLineWithTheRequestId() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        LogSetup.apply(LogSetup.Format.JSON);
        LogSetup.apply(LogSetup.Format.TEXT);

        CorrelationId.run("req-8", () -> LoggerFactory.getLogger("np.test").warn("careful"));

        assertThat(captured.toString(StandardCharsets.UTF_8))
                .containsPattern("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  np\\.test \\[req-8] careful");
    }

    @Test
    void autoIsJsonWhenNotOnATerminal() {
        // the test JVM's output is redirected to files by surefire, so AUTO must pick JSON
        LogSetup.apply(LogSetup.Format.AUTO);
        assertThat(LogSetup.current()).isEqualTo(LogSetup.Format.JSON);
    }
}
