package org.neuralpipeline.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An OpenAI-compatible model server for tests: a real Vert.x HTTP server on 127.0.0.1, port 0, that answers
 * from {@link Script}s and records every request.
 *
 * <pre>{@code
 * FakeModelServer server = FakeModelServer.start(vertx);          // in @BeforeEach; close() in @AfterEach
 * server.enqueueChat(Script.transcript("ollama-old.sse"));        // the next chat request gets this stream
 * server.enqueueChat(Script.transcript("vllm.sse").fault(FaultMode.DISCONNECT_MID_STREAM));
 * server.fault(FaultMode.HTTP_500);                               // every later request, until fault(null)
 * … point the code under test at server.baseUrl() ("http://127.0.0.1:<port>/v1") …
 * RecordedRequest r = server.takeRequest();                       // in arrival order, waits up to 10 s
 * assertThat(r.bodyJson().get("stream").booleanValue()).isTrue();
 * r.awaitConnectionClosed(Duration.ofSeconds(5));                 // e.g. after cancelling a call
 * }</pre>
 *
 * <p>Paths: {@link #CHAT}, {@link #COMPLETIONS} and {@link #EMBEDDINGS} answer with the next script queued for
 * the path ({@link #enqueue}), else the path's default ({@link #respondWith}; built in: {@code openai.sse} for
 * chat, a small text-completion stream or JSON for completions, a three-number embedding). {@link #MODELS}
 * lists {@link #models(String...)} (default {@code fake-model}) unless scripted. Anything else is a 404 with an
 * OpenAI-shaped error.
 *
 * <p>Faults: a server fault ({@link #fault}) applies to every later request on every path; on {@link #MODELS}
 * only the faults that replace the whole answer act (REFUSE, STALL_BEFORE_HEADERS, HTTP_500,
 * HTTP_429_WITH_RETRY_AFTER), the stream faults are ignored there. A script's own fault applies to that
 * script. See {@link FaultMode} for each.
 *
 * <p>Thread-safe: configure and inspect from the test thread while the server runs on its event loop.
 */
public final class FakeModelServer implements AutoCloseable {
    public static final String CHAT = "/v1/chat/completions";
    public static final String COMPLETIONS = "/v1/completions";
    public static final String EMBEDDINGS = "/v1/embeddings";
    public static final String MODELS = "/v1/models";

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Vertx vertx;
    private volatile HttpServer server;
    private volatile int port;
    private volatile FaultMode fault;
    private volatile List<String> models = List.of("fake-model");
    private final Map<String, ConcurrentLinkedQueue<Script>> queued = new ConcurrentHashMap<>();
    private final Map<String, Script> defaults = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final BlockingQueue<RecordedRequest> untaken = new LinkedBlockingQueue<>();
    private final Map<HttpConnection, CompletableFuture<Void>> connections = new ConcurrentHashMap<>();

    private FakeModelServer(Vertx vertx) {
        this.vertx = vertx;
        defaults.put(CHAT, Script.transcript("openai.sse"));
        defaults.put(EMBEDDINGS, Script.json(200, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\","
                + "\"index\":0,\"embedding\":[0.125,-0.5,0.25]}],\"model\":\"fake-model\","
                + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}"));
    }

    /** Starts a server on 127.0.0.1 and an ephemeral port; blocks (call from a test thread). */
    public static FakeModelServer start(Vertx vertx) {
        FakeModelServer fake = new FakeModelServer(vertx);
        fake.listen(0);
        return fake;
    }

    public int port() {
        return port;
    }

    /** The OpenAI API root, {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** The ids {@code GET /v1/models} lists. */
    public FakeModelServer models(String... ids) {
        models = List.of(ids);
        return this;
    }

    /** Serves {@code script} to the next request for {@code path} (FIFO per path). */
    public FakeModelServer enqueue(String path, Script script) {
        queued.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>()).add(Objects.requireNonNull(script));
        return this;
    }

    /** {@code enqueue(CHAT, script)}. */
    public FakeModelServer enqueueChat(Script script) {
        return enqueue(CHAT, script);
    }

    /** Serves {@code script} for {@code path} whenever nothing is queued for it. */
    public FakeModelServer respondWith(String path, Script script) {
        defaults.put(path, Objects.requireNonNull(script));
        return this;
    }

    /**
     * Misbehaves for every later request ({@code null} heals). {@link FaultMode#REFUSE} closes the listening
     * socket and every open connection at once; healing listens on the same port again.
     */
    public FakeModelServer fault(FaultMode mode) {
        FaultMode previous = fault;
        fault = mode;
        if (mode == FaultMode.REFUSE && previous != FaultMode.REFUSE) {
            await(server.close());
        } else if (previous == FaultMode.REFUSE && mode != FaultMode.REFUSE) {
            listen(port);
        }
        return this;
    }

    /** Every request received so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The requests received for one path. */
    public List<RecordedRequest> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).collect(Collectors.toUnmodifiableList());
    }

    /** The oldest request not taken yet; waits up to 10 s for one. */
    public RecordedRequest takeRequest() {
        try {
            RecordedRequest r = untaken.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (r == null) {
                throw new AssertionError("no request arrived within " + WAIT);
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** How many TCP connections were accepted so far. */
    public int acceptedConnections() {
        return connections.size();
    }

    /** How many TCP connections are open now. */
    public int openConnections() {
        return (int) connections.values().stream().filter(f -> !f.isDone()).count();
    }

    @Override
    public void close() {
        HttpServer s = server;
        if (s != null) {
            await(s.close());
        }
    }

    private void listen(int wanted) {
        HttpServer s = vertx.createHttpServer();
        s.connectionHandler(connection -> {
            CompletableFuture<Void> closed = new CompletableFuture<>();
            connections.put(connection, closed);
            connection.closeHandler(v -> closed.complete(null));
            connection.exceptionHandler(t -> {
            }); // clients reset connections on purpose (cancel); not worth a log line
        });
        s.requestHandler(this::handle);
        server = await(s.listen(wanted, "127.0.0.1"));
        port = server.actualPort();
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            RecordedRequest recorded = new RecordedRequest(request.method().name(), request.path(), request.query(),
                    MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), body.getBytes(),
                    connections.computeIfAbsent(request.connection(), c -> new CompletableFuture<>()));
            requests.add(recorded);
            untaken.add(recorded);
            respond(request, recorded);
        });
    }

    private void respond(HttpServerRequest request, RecordedRequest recorded) {
        String path = request.path();
        FaultMode serverFault = fault;
        ConcurrentLinkedQueue<Script> queue = queued.get(path);
        Script script = queue == null ? null : queue.poll();
        if (script == null) {
            script = defaults.get(path);
        }
        if (path.equals(MODELS)) {
            if (script == null) {
                script = Script.json(200, modelList());
            }
            if (serverFault != null && !replacesAnswer(serverFault)) {
                serverFault = null;
            }
        } else if (script == null && path.equals(COMPLETIONS)) {
            script = completion(recorded);
        } else if (script == null) {
            script = Script.json(404, "{\"error\":{\"message\":\"Unknown path " + path
                    + "\",\"type\":\"not_found_error\",\"param\":null,\"code\":null}}");
        }
        play(request, script.plan(serverFault));
    }

    private static boolean replacesAnswer(FaultMode mode) {
        return mode == FaultMode.REFUSE || mode == FaultMode.STALL_BEFORE_HEADERS || mode == FaultMode.HTTP_500
                || mode == FaultMode.HTTP_429_WITH_RETRY_AFTER;
    }

    private void play(HttpServerRequest request, Script.Plan plan) {
        if (plan.status() == 0) {
            if (plan.ending() == Script.Ending.DISCONNECT) {
                request.connection().close();
            }
            return; // STALL_BEFORE_HEADERS: never answer
        }
        HttpServerResponse response = request.response();
        response.setStatusCode(plan.status());
        plan.headers().forEach(response::putHeader);
        response.setChunked(true);
        step(request, response, plan, 0);
    }

    private void step(HttpServerRequest request, HttpServerResponse response, Script.Plan plan, int i) {
        if (response.closed()) {
            return;
        }
        if (i == plan.steps().size()) {
            switch (plan.ending()) {
                case END -> response.end();
                case DISCONNECT -> request.connection().close();
                case STALL -> {
                }
            }
            return;
        }
        switch (plan.steps().get(i)) {
            case Script.Write w -> response.write(Buffer.buffer(w.bytes()))
                    .onSuccess(v -> step(request, response, plan, i + 1));
            // a timer set on the event loop fires on the same context
            case Script.Pause p -> vertx.setTimer(Math.max(1, p.duration().toMillis()),
                    t -> step(request, response, plan, i + 1));
        }
    }

    private String modelList() {
        return models.stream()
                .map(id -> "{\"id\":\"" + id + "\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"fake\"}")
                .collect(Collectors.joining(",", "{\"object\":\"list\",\"data\":[", "]}"));
    }

    /** The built-in {@code /v1/completions} answer: a stream when the request asked for one, else JSON. */
    private static Script completion(RecordedRequest request) {
        boolean stream = request.bodyText().matches("(?s).*\"stream\"\\s*:\\s*true.*");
        if (!stream) {
            return Script.json(200, "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1700000000,"
                    + "\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"text\":\"Hello world\",\"logprobs\":null,"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":2,"
                    + "\"total_tokens\":4}}");
        }
        String head = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1700000000,\"model\":\"fake-model\","
                + "\"choices\":[{\"index\":0,";
        return Script.sse()
                .event(head + "\"text\":\"Hello\",\"logprobs\":null,\"finish_reason\":null}]}")
                .event(head + "\"text\":\" world\",\"logprobs\":null,\"finish_reason\":null}]}")
                .event(head + "\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"stop\"}]}")
                .done();
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("fake model server: " + e, e);
        }
    }

    /** For messages: the scripts still queued per path. */
    @Override
    public String toString() {
        Map<String, Integer> pending = new ConcurrentHashMap<>();
        queued.forEach((path, q) -> pending.put(path, q.size()));
        return "FakeModelServer[" + baseUrl() + ", fault=" + fault + ", queued=" + pending + ", received="
                + new ArrayList<>(requests) + "]";
    }
}
