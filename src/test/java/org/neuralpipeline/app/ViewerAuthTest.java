package org.neuralpipeline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.AuthConfig;

/** Viewers see every user's tokens: with client keys configured, they need one too. */
class ViewerAuthTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Application app;

    @BeforeAll
    static void start() {
        app = Application.start(ApplicationTest.config(0).withAuth(new AuthConfig(List.of("k-1"), false)));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.url() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void viewersWithoutAKeyAreRefused() throws Exception {
        for (String path : List.of("/ws", "/v1/neural/stream", "/v1/neural/recent")) {
            HttpResponse<String> response = get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(401);
            assertThat(response.body()).contains("\"code\":\"invalid_api_key\"");
        }
        assertThat(get("/v1/neural/recent?access_token=wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void aKeyInTheHeaderOrTheQueryLetsViewersIn() throws Exception {
        assertThat(get("/v1/neural/recent", "Authorization", "Bearer k-1").statusCode()).isEqualTo(200);
        assertThat(get("/v1/neural/recent?access_token=k-1").body()).isEqualTo("[]");
    }
}
