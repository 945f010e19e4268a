package org.neuralpipeline.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChatRequestTest {

    private static ChatRequest parse(String json) {
        return ChatRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static void rejects(String json, String param, String code, String message) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(message)
                .satisfies(e -> {
                    assertThat(((InvalidRequestException) e).param()).isEqualTo(param);
                    assertThat(((InvalidRequestException) e).code()).isEqualTo(code);
                });
    }

    @Test
    void readsTheFieldsTheGatewayActsOn() {
        ChatRequest r = parse("""
                {"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,
                 "stream_options":{"include_usage":true},"max_tokens":5,"temperature":0.5,"seed":42,
                 "stop":["\\n","END"],"logprobs":true,"top_logprobs":3,"n":2,"extra":"kept"}""");
        assertThat(r.model()).isEqualTo("m");
        assertThat(r.stream()).isTrue();
        assertThat(r.includeUsage()).isTrue();
        assertThat(r.maxTokens()).isEqualTo(5);
        assertThat(r.temperature()).isEqualTo(0.5);
        assertThat(r.seed()).isEqualTo(42L);
        assertThat(r.stop()).containsExactly("\n", "END");
        assertThat(r.logprobs()).isTrue();
        assertThat(r.topLogprobs()).isEqualTo(3);
        assertThat(r.n()).isEqualTo(2);
        assertThat(r.body().path("extra").asText()).isEqualTo("kept");
    }

    @Test
    void defaultsWhenOptionalFieldsAreAbsent() {
        ChatRequest r = parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.stream()).isFalse();
        assertThat(r.includeUsage()).isFalse();
        assertThat(r.maxTokens()).isNull();
        assertThat(r.stop()).isEmpty();
        assertThat(r.n()).isEqualTo(1);
        assertThat(parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_completion_tokens\":3,\"stop\":\"x\"}")
                .maxTokens()).isEqualTo(3);
    }

    @Test
    void namesTheFieldThatIsWrong() {
        rejects("{", null, "invalid_json", "not valid JSON");
        rejects("[1]", null, "invalid_type", "must be a JSON object");
        rejects("{\"messages\":[{\"role\":\"user\"}]}", "model", "missing_required_parameter", "'model'");
        rejects("{\"model\":3,\"messages\":[{\"role\":\"user\"}]}", "model", "invalid_type", "model must be");
        rejects("{\"model\":\"m\"}", "messages", "missing_required_parameter", "'messages'");
        rejects("{\"model\":\"m\",\"messages\":[]}", "messages", "invalid_value", "must not be empty");
        rejects("{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", "messages[0].role",
                "missing_required_parameter", "messages[0].role must be a string");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},{\"role\":\"robot\"}]}", "messages[1].role",
                "invalid_value", "'robot'");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content",
                "invalid_type", "string or an array");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":\"yes\"}", "stream", "invalid_type",
                "boolean");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream_options\":{\"include_usage\":true}}",
                "stream_options", "invalid_value", "only allowed when stream is true");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":0}", "max_tokens", "invalid_value",
                "max_tokens: 0 (expected: 1-");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"temperature\":3}", "temperature",
                "invalid_value", "temperature: 3 (expected: 0-2)");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                "stop", "invalid_value", "at most 4");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"top_logprobs\":2}", "top_logprobs",
                "invalid_value", "requires logprobs");
        rejects("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"seed\":1.5}", "seed", "invalid_type",
                "integer");
        rejects("{\"model\":\"m\",\"model\":\"n\",\"messages\":[{\"role\":\"user\"}]}", null, "invalid_json",
                "Duplicate field");
    }
}
