package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shell's HTTP side: what is served, with which headers, and that it needs nothing from elsewhere. */
class VisualShellTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Vertx vertx;
    private static HttpServer server;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        VisualShell.mount(router);
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> request(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void rootServesThePageWithAPolicyThatAllowsOnlyItsOwnOrigin() throws Exception {
        HttpResponse<String> page = request("GET", "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy")).hasValue(VisualShell.CONTENT_SECURITY_POLICY);
        assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(page.body()).contains("<canvas id=\"grid\" width=\"256\" height=\"256\"",
                "src=\"/visual/app.js\"", "href=\"/visual/style.css\"");
    }

    @Test
    void scriptAndStyleAreServedWithTheirTypes() throws Exception {
        assertThat(request("GET", "/visual/app.js").headers().firstValue("content-type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(request("GET", "/visual/style.css").headers().firstValue("content-type"))
                .hasValue("text/css; charset=utf-8");
        assertThat(request("GET", "/visual/other.js").statusCode()).isEqualTo(404);
    }

    @Test
    void anUnchangedFileIsA304AndHeadHasNoBody() throws Exception {
        HttpResponse<String> first = request("GET", "/visual/app.js");
        String etag = first.headers().firstValue("etag").orElseThrow();
        HttpResponse<String> again = request("GET", "/visual/app.js", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();

        HttpResponse<String> head = request("HEAD", "/visual/app.js");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("content-length")).hasValue(
                first.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(head.body()).isEmpty();
    }

    /** The page must work offline: no CDN, no font service, nothing but this server. */
    @Test
    void thePageReferencesNothingOutsideItsOrigin() throws IOException {
        Pattern url = Pattern.compile("(?:https?:)?//[a-z0-9.-]+\\.[a-z]{2,}", Pattern.CASE_INSENSITIVE);
        for (String name : List.of("index.html", "app.js", "style.css")) {
            String text;
            try (InputStream in = VisualShell.class.getClassLoader().getResourceAsStream("visual/" + name)) {
                assertThat(in).as(name).isNotNull();
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Matcher m = url.matcher(text);
            assertThat(m.find() ? m.group() : null).as("an external address in %s", name).isNull();
            assertThat(text).as(name).doesNotContain("@import", "fonts.googleapis");
        }
    }
}
