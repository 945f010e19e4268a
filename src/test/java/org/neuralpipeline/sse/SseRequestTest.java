package org.neuralpipeline.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SseRequestTest {

    @Test
    void acceptsHttpAndHttpsUrlsOnly() {
        assertThat(SseRequest.get("https://example.test/events").uri()).hasHost("example.test");
        assertThatThrownBy(() -> SseRequest.get("ftp://example.test/x"))
                .hasMessage("url: \"ftp://example.test/x\" (expected: an http:// or https:// URL)");
        assertThatThrownBy(() -> SseRequest.get("localhost:8080/events"))
                .hasMessageStartingWith("url: \"localhost:8080/events\"");
        assertThatThrownBy(() -> SseRequest.get("http://bad host/"))
                .hasMessage("url: \"http://bad host/\" (expected: an http:// or https:// URL)");
    }

    @Test
    void rejectsHeaderInjectionAndBadNamesWithoutEchoingTheValue() {
        SseRequest get = SseRequest.get("http://127.0.0.1/");
        assertThatThrownBy(() -> get.withHeader("X-Token", "secret\r\nEvil: 1"))
                .hasMessage("header X-Token: value contains a control character (expected: printable text on one line)");
        assertThatThrownBy(() -> get.withHeader("X-Token", "a\u0001b")).hasMessageContaining("control character");
        assertThat(get.withHeader("X-Tab", "a\tb").headers()).containsEntry("X-Tab", "a\tb");
        assertThatThrownBy(() -> get.withHeader("Bad Name", "v"))
                .hasMessageStartingWith("header name: \"Bad Name\" (expected: an HTTP token");
    }

    @Test
    void getCarriesNoBody() {
        assertThatThrownBy(() -> new SseRequest(HttpMethod.GET, URI.create("http://h/"), Map.of(), new byte[1]))
                .hasMessage("body: 1 bytes (expected: none for GET)");
    }

    @Test
    void headerNamesAreCaseInsensitiveAndLaterOnesWin() {
        SseRequest r = SseRequest.get("http://h/").withHeader("content-type", "a").withHeader("Content-Type", "b");
        assertThat(r.headers()).hasSize(1).containsEntry("CONTENT-TYPE", "b");
    }

    @Test
    void toStringHidesHeaderValuesQueryAndUserInfo() {
        SseRequest r = SseRequest.post("http://user:pw@h:8080/v1?api_key=k", "{}")
                .withHeader("Authorization", "Bearer sk-secret");
        assertThat(r.toString())
                .isEqualTo("SseRequest[POST http://h:8080/v1, headers=[Authorization], body=2 bytes]")
                .doesNotContain("sk-secret", "api_key", "pw");
    }

    @Test
    void bodyIsCopiedAndComparedByContent() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        SseRequest r = new SseRequest(HttpMethod.POST, URI.create("http://h/"), Map.of(), body);
        body[0] = 'x';
        r.body()[1] = 'y';
        assertThat(r.body()).asString(StandardCharsets.UTF_8).isEqualTo("{}");
        assertThat(r).isEqualTo(SseRequest.post("http://h/", "{}")).hasSameHashCodeAs(SseRequest.post("http://h/", "{}"));
    }

    @Test
    void contentTypeCheckAllowsParametersAndAnyCase() {
        assertThat(EventSourceStream.isEventStream("text/event-stream")).isTrue();
        assertThat(EventSourceStream.isEventStream("Text/Event-Stream ; charset=utf-8")).isTrue();
        assertThat(EventSourceStream.isEventStream("text/event-streams")).isFalse();
        assertThat(EventSourceStream.isEventStream("application/json")).isFalse();
        assertThat(EventSourceStream.isEventStream(null)).isFalse();
    }

    @Test
    void lastEventIdGoesOutAsUtf8Bytes() {
        assertThat(EventSourceStream.headerValue("42")).isEqualTo("42");
        String sent = EventSourceStream.headerValue("é");
        assertThat(sent.getBytes(StandardCharsets.ISO_8859_1)).isEqualTo("é".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void errorBodySnippetIsOneLineAndMarksTruncation() {
        assertThat(EventSourceStream.bodySnippet(Buffer.buffer("a\n\n  b\tc\r\n"), false)).isEqualTo("a b c");
        assertThat(EventSourceStream.bodySnippet(Buffer.buffer("abc"), true)).isEqualTo("abc…");
        byte[] cut = Arrays.copyOf("ab€".getBytes(StandardCharsets.UTF_8), 4);
        assertThat(EventSourceStream.bodySnippet(Buffer.buffer(cut), true)).isEqualTo("ab…");
    }
}
