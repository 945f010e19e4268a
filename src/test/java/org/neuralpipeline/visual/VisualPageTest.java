package org.neuralpipeline.visual;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.visual.FakeHub.dropped;
import static org.neuralpipeline.visual.FakeHub.ended;
import static org.neuralpipeline.visual.FakeHub.failed;
import static org.neuralpipeline.visual.FakeHub.started;
import static org.neuralpipeline.visual.FakeHub.state;
import static org.neuralpipeline.visual.FakeHub.token;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.BrowserPage;
import org.neuralpipeline.testing.Chromium;

/**
 * The visual shell in a real headless Chromium, against {@link FakeHub}: a server that serves the page and
 * sends the hub's documented messages on {@code /ws}, so each behaviour of the page is driven exactly. The
 * whole pipeline (gateway, built-in model, hub) is VisualEndToEndTest's.
 */
@Tag("browser")
class VisualPageTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    static final String STATS = "JSON.stringify(window.visualShell && window.visualShell.stats())";

    private static Vertx vertx;
    private static Chromium chromium;
    private FakeHub hub;
    private BrowserPage page;

    @BeforeAll
    static void startBrowser() {
        if (!Chromium.installed()) {
            return; // each test says why it is skipped (or fails, on CI)
        }
        vertx = Vertx.vertx();
        chromium = Chromium.launch();
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @BeforeEach
    void open() throws Exception {
        Chromium.assumeInstalled();
        hub = FakeHub.start(vertx);
        page = chromium.newPage(1280, 900);
        page.emulateColorScheme("dark");
        page.navigate(hub.url());
        waitConnected();
        assertThat(hub.connections.next()).as("first connection: nothing to resume").isEmpty();
    }

    @AfterEach
    void close() throws Exception {
        if (page != null) {
            page.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private void waitConnected() {
        page.waitFor("the page to show it is connected",
                "document.getElementById('connection').dataset.state === 'connected'", WAIT,
                "document.getElementById('connection').textContent");
    }

    private JsonNode stats() throws Exception {
        return FakeHub.JSON.readTree(page.evaluateString(STATS));
    }

    @Test
    void loadsWithoutConsoleErrorsAndOnlyFromItsOwnOrigin() {
        assertThat(page.evaluateString("document.getElementById('connection').textContent")).isEqualTo("connected");
        page.waitFor("the model list", "document.getElementById('model').value === 'fake-model'", WAIT);
        // viewers, from the hub's gauge on /metrics: one WebSocket (this page) and two SSE viewers
        page.waitFor("the viewer count", "!document.getElementById('viewers-figure').hidden"
                + " && document.getElementById('viewers').textContent === '3'", WAIT);
        List<String> foreign = new ArrayList<>();
        page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
                .forEach(n -> {
                    if (!n.asText().startsWith(hub.url()) && !n.asText().startsWith(hub.url().replace("http", "ws"))) {
                        foreign.add(n.asText());
                    }
                });
        assertThat(foreign).as("requests to anything but the serving origin").isEmpty();
        assertThat(page.consoleErrors()).isEmpty();
    }

    @Test
    void showsEachStreamsTextAndLightsCellsColouredByProbability() throws Exception {
        hub.send(started(1, "r1"),
                token(2, "r1", "Hello", 0.0, 0.0, 1.0),  // bottom-left cell, probability 1
                token(3, "r1", " world", 1.0, 1.0, null), // top-right cell, not measured
                state(4, "r1", 12.5));
        page.waitFor("the tokens in the text panel",
                "document.getElementById('stream-text').textContent === 'Hello world'", WAIT, STATS);

        int[] probable = pixel(0, 255);
        int[] unmeasured = pixel(255, 0);
        int[] background = pixel(128, 128);
        assertThat(background).containsExactly(0x05, 0x07, 0x0a); // the dark theme's grid background
        // probability 1 is the ramp's warm end (#fbbf24), faded a little since it was lit
        assertThat(probable[0] - probable[2]).as("warm: red well above blue %s", List.of(probable[0], probable[2]))
                .isGreaterThan(100);
        // unmeasured is the neutral grey (#9ca3af): no hue, well above the background
        assertThat(unmeasured[0]).isGreaterThan(60);
        assertThat(Math.abs(unmeasured[0] - unmeasured[2])).isLessThan(30);
        assertThat(Math.abs(unmeasured[1] - unmeasured[0])).isLessThan(30);

        assertThat(page.evaluateString("document.getElementById('stream-meta').textContent"))
                .contains("fake-model via fake", "2 tokens", "12.5 tokens/s", "mean p 0.42", "live");
        assertThat(page.evaluateString("document.querySelector('#stream-list button').textContent"))
                .isEqualTo("fake-modelfake · live · …r1");

        hub.send(ended(5, "r1", "stop"));
        page.waitFor("the stream to show its end",
                "document.getElementById('stream-meta').textContent.includes('ended: stop')", WAIT);
        assertThat(page.evaluateString("document.querySelector('#stream-list button').textContent"))
                .isEqualTo("fake-modelfake · stop · …r1");
    }

    @Test
    void eachStreamCanBeChosenWithTheKeyboardAndShowsHowItEnded() throws Exception {
        hub.send(started(1, "r1"), token(2, "r1", "first", 0.1, 0.1, null), ended(3, "r1", "length"),
                started(4, "r2"), token(5, "r2", "second", 0.2, 0.2, null), failed(6, "r2", "upstream 'x': reset"));
        page.waitFor("both streams, newest first", "[...document.querySelectorAll('#stream-list button')]"
                + ".map(b => b.textContent).join('|')"
                + " === 'fake-modelfake · failed · …r2|fake-modelfake · length · …r1'",
                WAIT, "document.getElementById('stream-list').textContent");
        assertThat(page.evaluateString("document.getElementById('stream-meta').textContent"))
                .endsWith("ended: failed · upstream 'x': reset");

        page.evaluate("document.querySelector('#stream-list button[data-request-id=\"r1\"]').focus()");
        page.press("Enter");
        page.waitFor("the first stream's text", "document.getElementById('stream-text').textContent === 'first'",
                WAIT, STATS);
        assertThat(page.evaluateString("document.querySelector('button[aria-pressed=\"true\"]').dataset.requestId"))
                .isEqualTo("r1");
        assertThat(page.evaluateString("document.activeElement.dataset.requestId")).as("focus kept").isEqualTo("r1");

        hub.send(started(7, "r3"), token(8, "r3", "third", 0.3, 0.3, null));
        page.waitFor("the third stream listed", "document.querySelectorAll('#stream-list button').length === 3", WAIT);
        assertThat(stats().get("selected").asText()).as("a choice by the user stays").isEqualTo("r1");
    }

    @Test
    void cellsFadeAway() throws Exception {
        hub.send(token(1, "r1", "x", 0.5, 0.5, 0.5));
        page.waitFor("the cell and its glow on four neighbours to light", "(" + LIT_CELLS + ") === 5", WAIT, STATS);
        int[] cell = pixel(128, 127);
        int[] glow = pixel(129, 127);
        assertThat(glow[0] + glow[1] + glow[2]).as("glow dimmer than the cell")
                .isLessThan(cell[0] + cell[1] + cell[2]);
        long fadeMs = page.evaluateLong("window.visualShell.limits.FADE_MS");
        page.waitFor("the cell to fade", "(" + LIT_CELLS + ") === 0", Duration.ofMillis(fadeMs).plus(WAIT));
    }

    @Test
    void drawsOncePerFrameAndStaysBoundedAtAThousandTokensPerSecond() throws Exception {
        // 3,000 tokens in 3 s over 20 streams; one of them gets 2,000 tokens of 16 characters (32,000 characters)
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            String request = i % 3 == 2 ? "other-" + (i % 20) : "long";
            double x = (i * 37 % 256) / 255.0;
            double y = (i * 91 % 256) / 255.0;
            messages.add(token(i + 1, request, "sixteen-chars-" + (i % 10) + " ", x, y, (i % 100) / 100.0));
        }
        JsonNode before = stats();
        hub.pace(messages, 100, 100).await(60, TimeUnit.SECONDS);
        page.waitFor("every token", "window.visualShell.stats().tokens === 3000", WAIT, STATS);
        JsonNode after = stats();
        long frames = after.get("frames").asLong() - before.get("frames").asLong();
        long draws = after.get("gridDraws").asLong() - before.get("gridDraws").asLong();
        long textRenders = after.get("textRenders").asLong() - before.get("textRenders").asLong();

        assertThat(draws).as("grid draws (never one per message)").isLessThanOrEqualTo(frames).isLessThan(600);
        assertThat(textRenders).as("text renders").isLessThanOrEqualTo(frames);
        assertThat(frames).as("frames while 1,000 tokens/s arrived for 3 s").isGreaterThan(30);
        JsonNode limits = page.evaluate("window.visualShell.limits");
        assertThat(after.get("streams").asInt()).isLessThanOrEqualTo(limits.get("MAX_STREAMS").asInt());
        assertThat(after.get("longestText").asInt()).isLessThanOrEqualTo(limits.get("MAX_TEXT").asInt())
                .isGreaterThan(10_000);
        assertThat(after.get("litSlots").asInt()).isLessThanOrEqualTo(limits.get("FADE_SLOTS").asInt());
        assertThat(litCells()).as("lit cells").isGreaterThan(200);
        assertThat(page.consoleErrors()).isEmpty();
        Files.write(Path.of("target/visual-page-under-load.png"), page.screenshot()); // to look at, not compared
    }

    @Test
    void reconnectsByItselfAndResumesAfterTheLastMessageSeen() throws Exception {
        hub.send(started(41, "r1"), token(42, "r1", "a", 0.1, 0.1, null), token(43, "r1", "b", 0.2, 0.2, null));
        page.waitFor("three messages", "window.visualShell.stats().messages === 3", WAIT, STATS);

        hub.dropViewers();
        assertThat(hub.connections.next(WAIT)).isEqualTo("since=43");
        waitConnected();
        hub.send(token(44, "r1", "c", 0.3, 0.3, null));
        page.waitFor("the text to continue", "document.getElementById('stream-text').textContent === 'abc'", WAIT,
                STATS);
    }

    @Test
    void countsDroppedMessages() throws Exception {
        hub.send(dropped(7), dropped(3));
        page.waitFor("the dropped count", "document.getElementById('dropped').textContent === '10'", WAIT, STATS);
    }

    @Test
    void aPromptSentWithEnterStreamsThroughTheGatewayAndShowsItsStream() throws Exception {
        page.waitFor("the model list", "document.getElementById('model').value === 'fake-model'", WAIT);
        hub.send(started(1, "someone-else"), token(2, "someone-else", "other text", 0.9, 0.9, null));
        page.waitFor("the other stream", "window.visualShell.stats().selected === 'someone-else'", WAIT, STATS);

        page.focus("prompt");
        page.type("Say hello");
        page.press("Enter");
        page.waitFor("the prompt box cleared for the next prompt", "document.getElementById('prompt').value === ''",
                WAIT);

        JsonNode request = FakeHub.JSON.readTree(hub.chats.next(WAIT));
        assertThat(request.get("model").asText()).isEqualTo("fake-model");
        assertThat(request.get("stream").asBoolean()).isTrue();
        assertThat(request.get("logprobs").asBoolean()).isTrue();
        assertThat(request.at("/messages/0/content").asText()).isEqualTo("Say hello");
        page.waitFor("the page to switch to the stream it started",
                "document.getElementById('stream-text').textContent === 'Hello from the fake hub'", WAIT, STATS);
        page.waitFor("the chat's end", "document.getElementById('prompt-status').textContent"
                + ".startsWith('Done: 5 tokens from fake-model, finish reason stop')", WAIT,
                "document.getElementById('prompt-status').textContent");
        assertThat(page.evaluateString("document.activeElement.id")).isEqualTo("prompt");
        assertThat(page.consoleErrors()).isEmpty();
    }

    @Test
    void keepsShowingItsOwnChatWhileItRunsThenFollowsTheNewestAgain() throws Exception {
        page.waitFor("the model list", "document.getElementById('model').value === 'fake-model'", WAIT);
        hub.holdStreamEnd = true;
        page.focus("prompt");
        page.type("Say hello");
        page.press("Enter");
        page.waitFor("its own stream", "window.visualShell.stats().selected === 'fake-request-1'", WAIT, STATS);

        hub.send(started(100, "newcomer"), token(101, "newcomer", "x", 0.3, 0.3, null));
        page.waitFor("the newcomer listed", "document.querySelectorAll('#stream-list button').length === 2", WAIT);
        assertThat(stats().get("selected").asText()).isEqualTo("fake-request-1");

        hub.send(ended(102, "fake-request-1", "stop"), started(103, "later"));
        page.waitFor("the newest stream once its own ended", "window.visualShell.stats().selected === 'later'", WAIT,
                STATS);
    }

    @Test
    void keyboardReachesEveryControlInReadingOrder() {
        page.evaluate("document.activeElement.blur()");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            page.press("Tab");
            order.add(page.evaluateString("document.activeElement.id || document.activeElement.className"));
        }
        // the Stop button is disabled while nothing runs, so it is skipped
        assertThat(order).containsExactly("skip", "theme", "prompt", "model", "logprobs", "send", "stream-text",
                "");
    }

    @Test
    void followsTheSystemThemeUntilTheUserChoosesOneWhichIsRemembered() {
        assertThat(theme()).isEqualTo("dark auto");
        page.emulateColorScheme("light");
        page.waitFor("the light theme", "document.documentElement.dataset.theme === 'light'", WAIT);
        assertThat(page.evaluateString("getComputedStyle(document.body).backgroundColor"))
                .isEqualTo("rgb(246, 248, 250)");
        page.waitFor("the canvas redrawn light", "(" + pixelJs(128, 128) + ").join() === '255,255,255'", WAIT);

        page.focus("theme");
        page.evaluate("(() => { const s = document.getElementById('theme'); s.value = 'dark';"
                + " s.dispatchEvent(new Event('change', { bubbles: true })); })()");
        assertThat(theme()).isEqualTo("dark dark");
        assertThat(page.evaluateString("getComputedStyle(document.body).backgroundColor"))
                .isEqualTo("rgb(13, 17, 23)");

        page.reload(); // the system still says light: the choice wins
        waitConnected();
        assertThat(theme()).isEqualTo("dark dark");
        page.waitFor("the canvas drawn dark", "(" + pixelJs(128, 128) + ").join() === '5,7,10'", WAIT);

        page.evaluate("(() => { const s = document.getElementById('theme'); s.value = 'auto';"
                + " s.dispatchEvent(new Event('change', { bubbles: true })); })()");
        assertThat(theme()).isEqualTo("light auto");
        page.evaluate("localStorage.clear()");
    }

    @Test
    void textMeetsWcagAaContrastInBothThemes() throws Exception {
        hub.send(started(1, "r1"), token(2, "r1", "some text", 0.5, 0.5, null), ended(3, "r1", "stop"));
        page.waitFor("the stream", "document.getElementById('stream-text').textContent === 'some text'", WAIT);
        for (String scheme : List.of("dark", "light")) {
            page.emulateColorScheme(scheme);
            page.waitFor(scheme, "document.documentElement.dataset.theme === '" + scheme + "'", WAIT);
            assertThat(page.evaluate(CONTRAST_FAILURES)).as("text below WCAG AA in the %s theme", scheme).isEmpty();
        }
    }

    private String theme() {
        return page.evaluateString("document.documentElement.dataset.theme + ' '"
                + " + document.getElementById('theme').value");
    }

    /** The canvas pixel at column x, row y (row 0 at the top), as [r, g, b]. */
    private int[] pixel(int x, int y) {
        JsonNode rgb = page.evaluate(pixelJs(x, y));
        return new int[] {rgb.get(0).asInt(), rgb.get(1).asInt(), rgb.get(2).asInt()};
    }

    private static String pixelJs(int x, int y) {
        return "Array.from(document.getElementById('grid').getContext('2d').getImageData(" + x + ", " + y
                + ", 1, 1).data.slice(0, 3))";
    }

    private long litCells() {
        return page.evaluateLong(LIT_CELLS);
    }

    /** Canvas pixels that differ from the grid's background colour (the canvas's CSS background). */
    static final String LIT_CELLS = "(() => { const c = document.getElementById('grid');"
            + " const bg = getComputedStyle(c).backgroundColor.match(/\\d+/g).map(Number);"
            + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
            + " for (let i = 0; i < d.length; i += 4) {"
            + "   if (d[i] !== bg[0] || d[i + 1] !== bg[1] || d[i + 2] !== bg[2]) n++; }"
            + " return n; })()";

    /**
     * Every visible text (and form control) whose colour against its effective background is below WCAG AA:
     * 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are exempt, as WCAG says.
     */
    static final String CONTRAST_FAILURES = """
            (() => {
              const parse = (s) => {
                const m = s.match(/rgba?\\(([^)]+)\\)/);
                if (!m) return null;
                const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
                return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 };
              };
              const lum = (rgb) => {
                const [r, g, b] = rgb.map((v) => {
                  v /= 255;
                  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
              };
              const background = (el) => {
                for (let e = el; e; e = e.parentElement) {
                  const c = parse(getComputedStyle(e).backgroundColor);
                  if (c && c.a > 0) return c.rgb;
                }
                return parse(getComputedStyle(document.documentElement).backgroundColor)?.rgb || [255, 255, 255];
              };
              const failures = [];
              const check = (el, label) => {
                if (!el.getClientRects().length || el.closest('[hidden]') || el.closest(':disabled')) return;
                const style = getComputedStyle(el);
                if (style.visibility === 'hidden' || Number(style.opacity) === 0) return;
                const fg = parse(style.color).rgb;
                const bg = background(el);
                const l1 = lum(fg), l2 = lum(bg);
                const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
                const size = parseFloat(style.fontSize);
                const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
                if (ratio < (large ? 3 : 4.5)) {
                  failures.push(`${label}: ${ratio.toFixed(2)} (${style.color} on rgb(${bg}))`);
                }
              };
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                if (n.textContent.trim() && n.parentElement.closest('select') === null) {
                  check(n.parentElement, JSON.stringify(n.textContent.trim().slice(0, 30)));
                }
              }
              document.querySelectorAll('select, textarea, button, input')
                  .forEach((el) => check(el, el.id || el.tagName));
              return failures;
            })()
            """;
}
