package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.app.Application;
import org.neuralpipeline.config.AuthConfig;
import org.neuralpipeline.config.BuiltinConfig;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.config.ServerConfig;
import org.neuralpipeline.testing.BrowserPage;
import org.neuralpipeline.testing.Chromium;

/**
 * The whole pipeline seen through the page, in a real headless Chromium: the real {@link Application} with its
 * built-in model; a prompt typed in the page streams through the gateway, the hub sends the tokens to the
 * page's {@code /ws}, and they show up as text and as lit pixels. Also writes the README's screenshot
 * (target/visual-shell.png; with {@code -Dnp.visual.screenshot=docs/visual-shell.png} there too).
 */
@Tag("browser")
class VisualEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Slow enough that the screenshot catches a stream in flight, fast enough to keep the test short. */
    private static final double TOKENS_PER_SECOND = 60;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Chromium chromium;
    private Application app;
    private BrowserPage page;

    @BeforeAll
    static void startBrowser() {
        if (!Chromium.installed()) {
            return; // each test says why it is skipped (or fails, on CI)
        }
        chromium = Chromium.launch();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    private static PipelineConfig config(int port) {
        return PipelineConfig.DEFAULTS.withServer(new ServerConfig("127.0.0.1", port)).withProbeLocal(false)
                .withBuiltin(new BuiltinConfig(true, TOKENS_PER_SECOND));
    }

    @BeforeEach
    void open() {
        Chromium.assumeInstalled();
        page = chromium.newPage(1280, 900);
        page.emulateColorScheme("dark");
    }

    /** Starts the service and loads the page, connected, with the built-in model picked. */
    private void start(PipelineConfig config) {
        app = Application.start(config);
        page.navigate(app.url() + "/");
        waitConnected();
        waitForModel();
    }

    private void waitForModel() {
        page.waitFor("the built-in model in the model list", "document.getElementById('model').value === 'builtin'",
                WAIT, "document.getElementById('model').outerHTML");
    }

    @AfterEach
    void close() {
        if (page != null) {
            page.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private void waitConnected() {
        page.waitFor("the page to show it is connected",
                "document.getElementById('connection').dataset.state === 'connected'", WAIT,
                "document.getElementById('connection').textContent");
    }

    /** Types a prompt, sends it with Enter, and waits until the page shows the chat's end. */
    private void ask(String prompt) {
        page.focus("prompt");
        page.type(prompt);
        page.press("Enter");
    }

    @Test
    void aPromptShowsItsTokensAsTextAndAsLitCells() throws IOException {
        start(config(0));
        ask("Tell me about the broadcast hub");
        page.waitFor("the chat's end", "document.getElementById('prompt-status').textContent.startsWith('Done: ')",
                WAIT, "document.getElementById('prompt-status').textContent");
        page.waitFor("the stream's end on the hub",
                "/ended: (stop|length)/.test(document.getElementById('stream-meta').textContent)", WAIT,
                "document.getElementById('stream-meta').textContent");
        String meta = page.evaluateString("document.getElementById('stream-meta').textContent");
        assertThat(meta).startsWith("builtin via builtin");
        // every token the chat received, the hub delivered: the same count in the prompt status and the stream
        long chatTokens = Long.parseLong(page.evaluateString(
                "document.getElementById('prompt-status').textContent.match(/Done: (\\d+) tokens/)[1]"));
        assertThat(meta).contains(" " + chatTokens + " token");
        assertThat(page.evaluateString("document.getElementById('stream-text').textContent")).isNotBlank();
        assertThat(page.evaluateLong(VisualPageTest.LIT_CELLS)).as("lit cells on the canvas")
                .isGreaterThanOrEqualTo(Math.min(chatTokens, 5));

        // for the screenshot: three other clients stream at once (one without logprobs: grey cells) while a
        // second prompt from the page is caught mid-stream
        long before = page.evaluate("window.visualShell.stats()").get("tokens").asLong();
        List<CompletableFuture<HttpResponse<String>>> others = List.of(otherClient(true), otherClient(true),
                otherClient(false));
        ask("How does the page draw a thousand tokens per second?");
        // the built-in model may end any answer early (an end-of-text token), so ask for what four answers give
        // whatever their lengths: tokens from the new streams, and some stream with a line of text
        page.waitFor("several streams' tokens", "window.visualShell.stats().streams >= 4"
                + " && window.visualShell.stats().tokens >= " + (before + 40)
                + " && window.visualShell.stats().longestText > 40", WAIT, VisualPageTest.STATS);
        screenshot();
        page.waitFor("the second chat's end", "document.getElementById('prompt-status').textContent"
                + ".startsWith('Done: ')", WAIT, "document.getElementById('prompt-status').textContent");
        for (CompletableFuture<HttpResponse<String>> other : others) {
            assertThat(other.join().statusCode()).isEqualTo(200);
        }
        assertThat(page.consoleErrors()).isEmpty();
    }

    /** Another client's streamed chat through the gateway, as any OpenAI client would send it. */
    private CompletableFuture<HttpResponse<String>> otherClient(boolean logprobs) {
        String body = "{\"model\":\"builtin\",\"stream\":true,\"max_tokens\":200,\"logprobs\":" + logprobs
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Describe the gateway\"}]}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(app.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void reconnectsByItselfAfterTheServerRestarts() {
        start(config(0));
        int port = app.port();
        app.close();
        page.waitFor("the page to notice", "document.getElementById('connection').dataset.state !== 'connected'",
                WAIT, "document.getElementById('connection').textContent");

        app = Application.start(config(port));
        waitConnected();
        ask("Are you back?");
        page.waitFor("tokens after the restart", "document.getElementById('prompt-status').textContent"
                + ".startsWith('Done: ') && document.getElementById('stream-text').textContent.length > 0", WAIT,
                VisualPageTest.STATS);
        assertThat(page.evaluate("window.visualShell.stats()").get("connects").asInt()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void asksForTheApiKeyWhenTheServerNeedsOneAndUsesItForChatsAndViewing() {
        app = Application.start(config(0).withAuth(new AuthConfig(List.of("key-1"), false)));
        page.navigate(app.url() + "/");
        page.waitFor("the API key field", "!document.getElementById('key-field').hidden", WAIT,
                "document.getElementById('prompt-status').textContent");
        assertThat(page.evaluateString("document.getElementById('connection').dataset.state"))
                .isNotEqualTo("connected");

        page.focus("api-key");
        page.type("key-1");
        page.press("Tab"); // the field's change event: models and /ws again, with the key
        waitConnected();
        waitForModel();
        ask("Hello with a key");
        page.waitFor("the answer through /ws", "document.getElementById('prompt-status').textContent"
                + ".startsWith('Done: ') && document.getElementById('stream-text').textContent.length > 0", WAIT,
                VisualPageTest.STATS);
        page.reload(); // the key lasts as long as the tab
        waitConnected();
    }

    private void screenshot() throws IOException {
        byte[] png = page.screenshot();
        Files.write(Path.of("target/visual-shell.png"), png);
        String copy = System.getProperty("np.visual.screenshot");
        if (copy != null && !copy.isBlank()) {
            Files.write(Path.of(copy), png);
        }
    }
}
