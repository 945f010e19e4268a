package org.neuralpipeline.testing;

import static org.neuralpipeline.testing.Chromium.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One browser tab, driven over its CDP session: navigate, run JavaScript, type, press keys, take screenshots,
 * emulate the system colour scheme, and collect what the console reports as an error.
 *
 * <p>Waiting never sleeps in Java: {@link #waitFor} runs the condition in the page, which polls it for up to a
 * second per round trip, and the test retries until its deadline (a round trip that straddles a reload simply
 * fails and is repeated).
 */
public final class BrowserPage {
    private final Chromium.Connection connection;
    private final String targetId;
    private final String sessionId;
    private final List<String> consoleErrors = new ArrayList<>();
    private final Consumer<JsonNode> listener = this::onEvent;

    private BrowserPage(Chromium.Connection connection, String targetId, String sessionId) {
        this.connection = connection;
        this.targetId = targetId;
        this.sessionId = sessionId;
    }

    static BrowserPage open(Chromium.Connection connection, String targetId, String sessionId, int width,
            int height) {
        BrowserPage page = new BrowserPage(connection, targetId, sessionId);
        connection.addListener(page.listener);
        page.send("Page.enable", JSON.createObjectNode());
        page.send("Runtime.enable", JSON.createObjectNode());
        page.send("Log.enable", JSON.createObjectNode());
        page.send("Emulation.setDeviceMetricsOverride", JSON.createObjectNode()
                .put("width", width).put("height", height).put("deviceScaleFactor", 1).put("mobile", false));
        return page;
    }

    private void onEvent(JsonNode event) {
        if (!sessionId.equals(event.path("sessionId").asText())) {
            return;
        }
        JsonNode params = event.path("params");
        String problem = switch (event.path("method").asText()) {
            case "Runtime.exceptionThrown" -> "exception: " + describe(params.path("exceptionDetails"));
            case "Runtime.consoleAPICalled" -> {
                String type = params.path("type").asText();
                if (!type.equals("error") && !type.equals("assert")) {
                    yield null;
                }
                List<String> args = new ArrayList<>();
                params.path("args").forEach(a -> args.add(a.has("value") ? a.get("value").asText()
                        : a.path("description").asText()));
                yield "console." + type + ": " + String.join(" ", args);
            }
            case "Log.entryAdded" -> {
                JsonNode entry = params.path("entry");
                yield entry.path("level").asText().equals("error")
                        ? "log (" + entry.path("source").asText() + "): " + entry.path("text").asText()
                                + (entry.has("url") ? " at " + entry.path("url").asText() : "")
                        : null;
            }
            default -> null;
        };
        if (problem != null) {
            synchronized (consoleErrors) {
                consoleErrors.add(problem);
            }
        }
    }

    private static String describe(JsonNode details) {
        JsonNode exception = details.path("exception");
        String text = exception.has("description") ? exception.path("description").asText()
                : details.path("text").asText();
        return text + " (" + details.path("url").asText() + ":" + details.path("lineNumber").asInt() + ")";
    }

    /** Errors reported by the page so far: uncaught exceptions, console.error, failed loads, CSP violations. */
    public List<String> consoleErrors() {
        synchronized (consoleErrors) {
            return List.copyOf(consoleErrors);
        }
    }

    public void clearConsoleErrors() {
        synchronized (consoleErrors) {
            consoleErrors.clear();
        }
    }

    /** Loads {@code url} and returns once its load event fired. */
    public void navigate(String url) {
        awaitLoad(() -> {
            JsonNode result = send("Page.navigate", JSON.createObjectNode().put("url", url));
            if (result.hasNonNull("errorText")) {
                throw new AssertionError("cannot load " + url + ": " + result.get("errorText").asText());
            }
        });
    }

    /** Reloads the page and returns once its load event fired. */
    public void reload() {
        awaitLoad(() -> send("Page.reload", JSON.createObjectNode().put("ignoreCache", true)));
    }

    private void awaitLoad(Runnable action) {
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        Consumer<JsonNode> onLoad = e -> {
            if (sessionId.equals(e.path("sessionId").asText()) && "Page.loadEventFired".equals(
                    e.path("method").asText())) {
                loaded.complete(null);
            }
        };
        connection.addListener(onLoad);
        try {
            action.run();
            loaded.get(Chromium.COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while loading", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the page did not finish loading within " + Chromium.COMMAND_TIMEOUT, e);
        } finally {
            connection.removeListener(onLoad);
        }
    }

    /**
     * Evaluates a JavaScript expression (awaiting it if it is a promise) and returns its value as JSON; an
     * exception in the page becomes an {@link AssertionError}.
     */
    public JsonNode evaluate(String expression) {
        JsonNode result = send("Runtime.evaluate", JSON.createObjectNode()
                .put("expression", expression)
                .put("returnByValue", true)
                .put("awaitPromise", true)
                .put("userGesture", true));
        if (result.has("exceptionDetails")) {
            throw new AssertionError("JavaScript failed: " + describe(result.get("exceptionDetails"))
                    + "\n  in: " + expression);
        }
        return result.path("result").path("value");
    }

    public String evaluateString(String expression) {
        return evaluate(expression).asText();
    }

    public long evaluateLong(String expression) {
        return evaluate(expression).asLong();
    }

    /**
     * Waits until the JavaScript {@code condition} is truthy; fails after {@code timeout} with {@code what},
     * the value of {@code diagnostics} (a JavaScript expression) and the console's errors.
     */
    public void waitFor(String what, String condition, Duration timeout, String diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String poll = "new Promise(resolve => { const end = performance.now() + 1000; const check = () => {"
                + " let ok = false; try { ok = Boolean(" + condition + "); } catch (e) { ok = false; }"
                + " if (ok || performance.now() > end) resolve(ok); else setTimeout(check, 25); }; check(); })";
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (evaluate(poll).asBoolean()) {
                    return;
                }
                last = null;
            } catch (AssertionError e) { // e.g. the context was replaced by a reload: ask again
                last = e;
            }
        }
        String state;
        try {
            state = diagnostics == null ? "" : "\n  state: " + evaluate(diagnostics);
        } catch (AssertionError e) {
            state = "\n  state unavailable: " + e.getMessage();
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + state
                + "\n  console errors: " + consoleErrors() + (last == null ? "" : "\n  last failure: " + last));
    }

    public void waitFor(String what, String condition, Duration timeout) {
        waitFor(what, condition, timeout, null);
    }

    /** Focuses the element with this id. */
    public void focus(String elementId) {
        evaluate("document.getElementById(" + JSON.valueToTree(elementId) + ").focus()");
    }

    /** Types text into the focused element, as an input method would. */
    public void type(String text) {
        send("Input.insertText", JSON.createObjectNode().put("text", text));
    }

    /** Presses and releases a key: {@code Enter}, {@code Tab}, {@code Escape} or a single character. */
    public void press(String key) {
        record Key(String code, int keyCode, String text) {
        }
        Key k = switch (key) {
            case "Enter" -> new Key("Enter", 13, "\r");
            case "Tab" -> new Key("Tab", 9, null);
            case "Escape" -> new Key("Escape", 27, null);
            case "ArrowDown" -> new Key("ArrowDown", 40, null);
            default -> {
                if (key.length() != 1) {
                    throw new IllegalArgumentException("key " + key + " (expected: Enter, Tab, Escape, ArrowDown"
                            + " or one character)");
                }
                yield new Key("Key" + key.toUpperCase(), key.toUpperCase().charAt(0), key);
            }
        };
        ObjectNode down = JSON.createObjectNode().put("type", k.text() != null ? "keyDown" : "rawKeyDown")
                .put("key", key).put("code", k.code()).put("windowsVirtualKeyCode", k.keyCode());
        if (k.text() != null) {
            down.put("text", k.text()).put("unmodifiedText", k.text());
        }
        send("Input.dispatchKeyEvent", down);
        send("Input.dispatchKeyEvent", JSON.createObjectNode().put("type", "keyUp").put("key", key)
                .put("code", k.code()).put("windowsVirtualKeyCode", k.keyCode()));
    }

    /** Makes {@code prefers-color-scheme} report {@code dark} or {@code light} ("" for the default). */
    public void emulateColorScheme(String scheme) {
        ArrayNode features = JSON.createArrayNode();
        features.addObject().put("name", "prefers-color-scheme").put("value", scheme);
        ObjectNode params = JSON.createObjectNode();
        params.set("features", features);
        send("Emulation.setEmulatedMedia", params);
    }

    /** A PNG of the visible page. */
    public byte[] screenshot() {
        JsonNode result = send("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        return Base64.getDecoder().decode(result.path("data").asText());
    }

    /** Closes the tab. */
    public void close() {
        connection.removeListener(listener);
        try {
            connection.send(null, "Target.closeTarget", JSON.createObjectNode().put("targetId", targetId));
        } catch (AssertionError e) {
            // already gone
        }
    }

    private JsonNode send(String method, ObjectNode params) {
        return connection.send(sessionId, method, params, Chromium.COMMAND_TIMEOUT);
    }
}
