package org.neuralpipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real headless Chromium (Debian's {@code chromium} package), driven over the Chrome DevTools Protocol: the
 * test starts the browser with {@code --remote-debugging-port=0}, reads the DevTools address from its stderr
 * and speaks CDP's JSON messages over one WebSocket (the JDK's client). Nothing is downloaded, no driver binary
 * is needed, and the browser is started with everything that would reach the network turned off.
 *
 * <p>Why CDP rather than Selenium: the tests need about a dozen commands (navigate, evaluate, type, key,
 * screenshot, emulate the colour scheme) and the console's errors, which CDP gives directly; Selenium would add
 * a large dependency tree, a chromedriver that must match the browser's version, and a Selenium Manager that
 * must be told not to download. See docs/VISUAL-SHELL.md, "Tests".
 *
 * <p>One instance per test class ({@code @BeforeAll}); {@link #newPage} opens a tab with its own session.
 */
public final class Chromium implements AutoCloseable {
    /** {@code $CHROMIUM}, else Debian's launcher. */
    public static final Path EXECUTABLE = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final Pattern DEVTOOLS_URL = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final Deque<String> log;
    private final Connection connection;

    private Chromium(Process process, Path profile, Deque<String> log, Connection connection) {
        this.process = process;
        this.profile = profile;
        this.log = log;
        this.connection = connection;
    }

    /** Whether {@link #EXECUTABLE} exists and may be run. */
    public static boolean installed() {
        return Files.isExecutable(EXECUTABLE);
    }

    /**
     * Skips the calling test when Chromium is not installed, with the reason; on CI ({@code CI=true}), where
     * {@code .ci/run} installs it, fails instead, so that browser tests cannot silently stop running. Call it
     * in {@code @BeforeEach}, so that each test is reported as skipped.
     */
    public static void assumeInstalled() {
        if (installed()) {
            return;
        }
        String missing = "Chromium not found at " + EXECUTABLE
                + " (install it: apt-get install chromium; or set CHROMIUM to its path)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(missing + "; CI=true, so browser tests must run");
        }
        Assumptions.abort(missing + "; browser test skipped");
    }

    /** Starts a headless browser with a fresh temporary profile and connects to it. */
    public static Chromium launch() {
        assumeInstalled();
        Path profile;
        Process process;
        try {
            profile = Files.createTempDirectory("np-chromium-");
            process = new ProcessBuilder(EXECUTABLE.toString(),
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--disable-default-apps", "--disable-domain-reliability", "--disable-breakpad",
                    "--metrics-recording-only", "--no-pings", "--password-store=basic", "--use-mock-keychain",
                    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
                    "--hide-scrollbars", "--mute-audio", "--force-color-profile=srgb",
                    "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + EXECUTABLE, e);
        }
        // a test JVM that dies without close() must not leave a browser behind
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            started.descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
        }, "chromium-reaper"));
        Deque<String> log = new ArrayDeque<>();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> readOutput(process, log, url), "chromium-output");
        reader.setDaemon(true);
        reader.start();
        try {
            String address = url.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new Chromium(process, profile, log, Connection.open(address));
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("Chromium did not report its DevTools address within " + START_TIMEOUT
                    + "; its output:\n" + String.join("\n", snapshot(log)), e);
        }
    }

    /** Keeps draining the browser's output (a full pipe would stall it) and the last lines for diagnostics. */
    private static void readOutput(Process process, Deque<String> log, CompletableFuture<String> url) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (log) {
                    log.addLast(line);
                    if (log.size() > 200) {
                        log.removeFirst();
                    }
                }
                Matcher m = DEVTOOLS_URL.matcher(line);
                if (m.find()) {
                    url.complete(m.group(1));
                }
            }
        } catch (IOException e) {
            // the browser went away; close() reports nothing more
        }
        url.completeExceptionally(new IOException("Chromium closed its output (exited?)"));
    }

    private static List<String> snapshot(Deque<String> log) {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** Opens a new tab of {@code width} x {@code height} CSS pixels, showing about:blank. */
    public BrowserPage newPage(int width, int height) {
        ObjectNode create = JSON.createObjectNode().put("url", "about:blank");
        String targetId = connection.send(null, "Target.createTarget", create).path("targetId").asText();
        ObjectNode attach = JSON.createObjectNode().put("targetId", targetId).put("flatten", true);
        String sessionId = connection.send(null, "Target.attachToTarget", attach).path("sessionId").asText();
        return BrowserPage.open(connection, targetId, sessionId, width, height);
    }

    /** The browser's last output lines, for a failure message. */
    public List<String> output() {
        return snapshot(log);
    }

    @Override
    public void close() {
        try {
            connection.send(null, "Browser.close", JSON.createObjectNode(), Duration.ofSeconds(5));
        } catch (RuntimeException | AssertionError e) {
            // it is going away anyway
        }
        connection.close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteQuietly(profile);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; the OS cleans up
        }
    }

    /**
     * One WebSocket to the browser, shared by all its pages: commands carry an id (and a session id for a page)
     * and complete when the answer with that id arrives; everything else is an event for the listeners.
     */
    static final class Connection implements WebSocket.Listener {
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final List<Consumer<JsonNode>> listeners = new CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Connection open(String url) {
            Connection c = new Connection();
            c.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create(url), c)
                    .orTimeout(20, TimeUnit.SECONDS)
                    .join();
            return c;
        }

        void addListener(Consumer<JsonNode> listener) {
            listeners.add(listener);
        }

        void removeListener(Consumer<JsonNode> listener) {
            listeners.remove(listener);
        }

        JsonNode send(String sessionId, String method, ObjectNode params) {
            return send(sessionId, method, params, COMMAND_TIMEOUT);
        }

        /** Sends one command and waits for its result; a CDP error becomes an {@link AssertionError}. */
        JsonNode send(String sessionId, String method, ObjectNode params, Duration timeout) {
            int id = ids.incrementAndGet();
            ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
            message.set("params", params);
            if (sessionId != null) {
                message.put("sessionId", sessionId);
            }
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            pending.put(id, answer);
            try {
                synchronized (this) { // the JDK's WebSocket allows one outstanding send
                    socket.sendText(message.toString(), true).get(10, TimeUnit.SECONDS);
                }
                JsonNode reply = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (reply.has("error")) {
                    throw new AssertionError(method + " failed: " + reply.get("error"));
                }
                return reply.path("result");
            } catch (TimeoutException e) {
                throw new AssertionError(method + " got no answer within " + timeout, e);
            } catch (ExecutionException e) {
                throw new AssertionError(method + " failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted during " + method, e);
            } finally {
                pending.remove(id);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                dispatch(text);
            }
            webSocket.request(1);
            return null;
        }

        private void dispatch(String text) {
            JsonNode message;
            try {
                message = JSON.readTree(text);
            } catch (IOException e) {
                return;
            }
            if (message.has("id")) {
                CompletableFuture<JsonNode> answer = pending.get(message.get("id").asInt());
                if (answer != null) {
                    answer.complete(message);
                }
            } else {
                for (Consumer<JsonNode> listener : listeners) {
                    listener.accept(message);
                }
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            failAll(new IOException("DevTools connection closed: " + statusCode + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            failAll(error);
        }

        private void failAll(Throwable error) {
            pending.values().forEach(f -> f.completeExceptionally(error));
        }

        void close() {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                socket.abort();
            }
        }
    }
}
