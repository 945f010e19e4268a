package org.neuralpipeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseListener;
import org.neuralpipeline.sse.SseParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chat "prompt"}: a terminal client that streams an answer through the gateway as it arrives and
 * ends with time to first token and tokens per second, measured here, on the client side.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Send one prompt to the gateway and stream the answer to the terminal.")
final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "What to ask.")
    String prompt;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:NEURAL_PIPELINE_URL:-http://127.0.0.1:8765}",
            description = "The gateway (default: ${DEFAULT-VALUE}; env NEURAL_PIPELINE_URL).")
    String url;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "Model id (default: the first model of /v1/models, preferring a real model server "
                    + "over the built-in model).")
    String model;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message sent before the prompt.")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Upper bound on the answer's length in tokens.")
    Integer maxTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature, 0-2.")
    Double temperature;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for reproducible sampling, where supported.")
    Long seed;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:NEURAL_PIPELINE_API_KEY}",
            description = "Client API key, when the gateway requires one (env NEURAL_PIPELINE_API_KEY).")
    String apiKey;

    @Override
    public Integer call() throws Exception {
        URI base = parseUrl(url);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000));
            String chosen = model != null ? model : firstModel(client, base);
            Stats stats = stream(client, base, chosen, out, err);
            out.println();
            out.flush();
            err.println(stats.summary(chosen));
            err.flush();
            return ExitCodes.OK;
        } finally {
            vertx.close().await(5, TimeUnit.SECONDS);
        }
    }

    private static URI parseUrl(String value) {
        try {
            URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--url: \"" + value + "\" (expected: http://host:port)");
        }
    }

    private RequestOptions options(URI base, HttpMethod method, String path) {
        RequestOptions o = new RequestOptions().setAbsoluteURI(base + path).setMethod(method);
        if (apiKey != null && !apiKey.isBlank()) {
            o.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey);
        }
        return o;
    }

    private String firstModel(HttpClient client, URI base) throws Exception {
        Buffer body = await(client.request(options(base, HttpMethod.GET, "/v1/models"))
                .compose(r -> r.send().compose(res -> res.statusCode() == 200 ? res.body()
                        : res.body().compose(b -> io.vertx.core.Future.failedFuture(httpError(res.statusCode(), b))))),
                base);
        JsonNode data = OpenAiJson.MAPPER.readTree(body.getBytes()).path("data");
        String fallback = null;
        for (JsonNode m : data) {
            String id = m.path("id").asText();
            if (!"builtin".equals(id)) {
                return id;
            }
            fallback = id;
        }
        if (fallback == null) {
            throw new CliException(ExitCodes.FAILURE, base + " serves no model");
        }
        return fallback;
    }

    private Stats stream(HttpClient client, URI base, String chosen, PrintWriter out, PrintWriter err)
            throws Exception {
        ObjectNode body = OpenAiJson.MAPPER.createObjectNode();
        body.put("model", chosen);
        ArrayNode messages = body.putArray("messages");
        if (system != null) {
            messages.addObject().put("role", "system").put("content", system);
        }
        messages.addObject().put("role", "user").put("content", prompt);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        if (temperature != null) {
            body.put("temperature", temperature);
        }
        if (seed != null) {
            body.put("seed", seed);
        }
        Stats stats = new Stats(System.nanoTime());
        CompletableFuture<Stats> done = new CompletableFuture<>();
        SseParser parser = new SseParser(new SseListener() {
            @Override
            public void onEvent(SseEvent event) {
                stats.onData(event.data(), out, err, done);
            }
        });
        RequestOptions request = options(base, HttpMethod.POST, "/v1/chat/completions")
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
        client.request(request)
                .compose(r -> r.send(Buffer.buffer(body.toString())))
                .onSuccess(response -> {
                    if (response.statusCode() != 200) {
                        response.body().onComplete(b -> done.completeExceptionally(
                                httpError(response.statusCode(), b.succeeded() ? b.result() : Buffer.buffer())));
                        return;
                    }
                    stats.upstream = response.getHeader("X-Upstream");
                    response.handler(buffer -> {
                        try {
                            parser.feed(buffer.getBytes());
                        } catch (RuntimeException e) {
                            done.completeExceptionally(e);
                        }
                    });
                    response.endHandler(v -> done.completeExceptionally(
                            new CliException(ExitCodes.FAILURE, "the stream ended without [DONE]")));
                    response.exceptionHandler(done::completeExceptionally);
                })
                .onFailure(done::completeExceptionally);
        return await(done, base);
    }

    private static CliException httpError(int status, Buffer body) {
        String message = body.toString();
        try {
            JsonNode error = OpenAiJson.MAPPER.readTree(body.getBytes()).path("error");
            if (error.path("message").isTextual()) {
                message = error.path("message").asText();
            }
        } catch (Exception notJson) {
            // keep the raw text
        }
        return new CliException(ExitCodes.FAILURE, "HTTP " + status + ": " + message);
    }

    private static <T> T await(io.vertx.core.Future<T> future, URI base) throws Exception {
        return await(future.toCompletionStage().toCompletableFuture(), base);
    }

    private static <T> T await(CompletableFuture<T> future, URI base) throws Exception {
        try {
            return future.get(30, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof CliException cli) {
                throw cli;
            }
            if (cause instanceof ConnectException || String.valueOf(cause.getMessage()).contains("Connection refused")) {
                throw new CliException(ExitCodes.FAILURE, "cannot connect to " + base
                        + ": is `neural-pipeline serve` running there?");
            }
            throw new CliException(ExitCodes.FAILURE, String.valueOf(cause.getMessage()));
        }
    }

    /** What the client itself measured: the numbers printed at the end. */
    private static final class Stats {
        final long startNanos;
        long firstTokenNanos = -1;
        long lastTokenNanos;
        int chunks;
        long completionTokens = -1;
        String upstream;
        String finishReason;

        Stats(long startNanos) {
            this.startNanos = startNanos;
        }

        void onData(String data, PrintWriter out, PrintWriter err, CompletableFuture<Stats> done) {
            if ("[DONE]".equals(data)) {
                done.complete(this);
                return;
            }
            JsonNode chunk;
            try {
                chunk = OpenAiJson.MAPPER.readTree(data);
            } catch (Exception e) {
                done.completeExceptionally(new CliException(ExitCodes.FAILURE, "malformed chunk: " + data));
                return;
            }
            if (chunk.has("error")) {
                out.flush();
                done.completeExceptionally(new CliException(ExitCodes.FAILURE,
                        "the stream failed: " + chunk.path("error").path("message").asText()));
                return;
            }
            if (chunk.path("usage").isObject()) {
                completionTokens = chunk.path("usage").path("completion_tokens").asLong(-1);
            }
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                String text = delta.path("content").isTextual() ? delta.path("content").asText() : "";
                if (!text.isEmpty()) {
                    long now = System.nanoTime();
                    if (firstTokenNanos < 0) {
                        firstTokenNanos = now;
                    }
                    lastTokenNanos = now;
                    chunks++;
                    out.print(text);
                    out.flush();
                }
                if (choice.path("finish_reason").isTextual()) {
                    finishReason = choice.path("finish_reason").asText();
                }
            }
        }

        String summary(String model) {
            long tokens = completionTokens >= 0 ? completionTokens : chunks;
            StringBuilder s = new StringBuilder("[").append(model);
            if (upstream != null) {
                s.append(" via ").append(upstream);
            }
            s.append(" · ").append(tokens).append(" tokens");
            if (firstTokenNanos >= 0) {
                s.append(String.format(Locale.ROOT, " · first token %.0f ms", (firstTokenNanos - startNanos) / 1e6));
                double seconds = (lastTokenNanos - firstTokenNanos) / 1e9;
                if (tokens > 1 && seconds > 0) {
                    // rate over the streaming phase: (n-1) gaps between n tokens
                    s.append(String.format(Locale.ROOT, " · %.1f tokens/s", (tokens - 1) / seconds));
                }
            }
            if (finishReason != null) {
                s.append(" · finish ").append(finishReason);
            }
            return s.append(']').toString();
        }
    }
}
