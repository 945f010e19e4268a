package org.neuralpipeline.cli;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.neuralpipeline.observability.Metrics.SseClientMeters;
import org.neuralpipeline.sse.SseClient;
import org.neuralpipeline.sse.SseClientException;
import org.neuralpipeline.sse.SseClientOptions;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseHandler;
import org.neuralpipeline.sse.SseOutcome;
import org.neuralpipeline.sse.SseRequest;
import org.neuralpipeline.sse.SseSubscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sse get URL [-H 'Name: value']... [-d BODY|@FILE|-] [--max-retries N] [--idle-timeout MS]
 * [--max-bytes N]}: connects with {@link SseClient} and prints each event as one NDJSON line the moment
 * it arrives, then, when the stream is over for good, the same end line as {@code sse parse}.
 *
 * <p>A GET reconnects without limit, like a browser's EventSource: the stream is meant to be endless, a
 * server that wants the client gone answers 204, and the user stops it with Ctrl-C (or passes
 * {@code --max-retries 0} to read one response). With {@code -d} the request is a POST and is never
 * re-sent unless {@code --max-retries} says so: an OpenAI-style completion would be generated again.
 *
 * <p>Exit codes: 0 when the stream ended normally (HTTP 204, or the body ended with retries off); 1 when
 * it failed (network error after the retries, a non-2xx status, a Content-Type other than
 * text/event-stream); 2 for bad arguments; 65 when the stream itself was unusable (a parser limit, as
 * {@code sse parse}); 74 when the {@code -d @FILE} cannot be read; 130 after Ctrl-C.
 */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Connect to an event stream and print its events as NDJSON, one line each, as they arrive.",
            "Reconnects like a browser's EventSource (GET: without limit; with -d: never, unless --max-retries)."})
final class SseGetCommand implements Callable<Integer> {
    /** 128 + SIGINT, what a shell reports for Ctrl-C. */
    static final int INTERRUPTED = 130;
    private static final long SHUTDOWN_WAIT_MILLIS = 3_000;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "An http:// or https:// URL.")
    String url;

    @Option(names = {"-H", "--header"}, paramLabel = "'Name: value'",
            description = "An extra request header; repeatable. A later header of the same name replaces an "
                    + "earlier one. 'Last-Event-ID: X' resumes a stream after event X.")
    List<String> headers = new ArrayList<>();

    @Option(names = {"-d", "--data"}, paramLabel = "BODY|@FILE|-",
            description = "POST this body (@FILE reads a file, - reads standard input), with "
                    + "Content-Type: application/json unless -H sets one.")
    String data;

    @Option(names = "--max-retries", paramLabel = "N",
            description = "Consecutive reconnection attempts before giving up; the count restarts after each "
                    + "successful connection (default: unlimited for GET, 0 with -d).")
    Integer maxRetries;

    @Option(names = "--idle-timeout", paramLabel = "MS",
            description = "Reconnect (if allowed) after MS milliseconds without a byte; 0 disables it "
                    + "(default: 120000).")
    Long idleTimeoutMillis;

    @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "Maximum size of one line and of one event's data (default: ${DEFAULT-VALUE}).")
    int maxBytes;

    @Override
    public Integer call() throws Exception {
        SseClientOptions options = options();
        SseRequest request = request();
        PrintWriter out = spec.commandLine().getOut();

        Vertx vertx = Vertx.vertx();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = null;
        try {
            SseClient client = new SseClient(vertx, vertx.createHttpClient(), SseClientMeters.NONE);
            SseSubscription stream = client.connect(request, options, new Printer(out));
            // Ctrl-C: cancel, and give this thread a moment to print the end line before the JVM halts.
            hook = new Thread(() -> {
                stream.cancel();
                awaitQuietly(done);
            }, "sse-get-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);

            SseOutcome outcome = stream.closed().await();
            return switch (outcome) {
                case SseOutcome.Ended ended -> end(out, stream, ExitCodes.OK);
                case SseOutcome.Cancelled cancelled -> end(out, stream, INTERRUPTED);
                case SseOutcome.Failed failed -> throw failure(failed.error());
            };
        } finally {
            removeHook(hook);
            try {
                vertx.close().await(SHUTDOWN_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // exiting anyway; the event-loop threads are daemons
            }
            done.countDown();
        }
    }

    private SseClientOptions options() {
        SseClientOptions options = SseClientOptions.DEFAULT;
        if (maxRetries != null) {
            if (maxRetries < 0) {
                throw usage("--max-retries: " + maxRetries + " (expected: 0 or more)");
            }
            options = options.withMaxRetries(maxRetries);
        }
        if (idleTimeoutMillis != null) {
            if (idleTimeoutMillis < 0) {
                throw usage("--idle-timeout: " + idleTimeoutMillis + " (expected: 0 or more; 0 disables it)");
            }
            options = options.withIdleTimeout(Duration.ofMillis(idleTimeoutMillis));
        }
        if (maxBytes < 1) {
            throw usage("--max-bytes: " + maxBytes + " (expected: 1 or more)");
        }
        return options.withMaxBytes(maxBytes);
    }

    private SseRequest request() throws IOException {
        SseRequest request;
        try {
            request = data == null
                    ? SseRequest.get(url)
                    : new SseRequest(HttpMethod.POST, SseRequest.parseUrl(url), Map.of(), body());
            for (String header : headers) {
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    throw usage("-H \"" + firstWord(header) + "\": missing name or ':' (expected: 'Name: value')");
                }
                request = request.withHeader(header.substring(0, colon), header.substring(colon + 1).strip());
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (data != null && !request.headers().containsKey("Content-Type")) {
            request = request.withHeader("Content-Type", "application/json");
        }
        return request;
    }

    private byte[] body() throws IOException {
        if ("-".equals(data)) {
            return System.in.readAllBytes();
        }
        if (data.startsWith("@")) {
            String file = data.substring(1);
            try {
                return Files.readAllBytes(Path.of(file));
            } catch (NoSuchFileException e) {
                throw new CliException(ExitCodes.IO, file + ": no such file");
            } catch (IOException e) {
                throw new CliException(ExitCodes.IO, file + ": " + e.getMessage());
            }
        }
        return data.getBytes(StandardCharsets.UTF_8);
    }

    private static int end(PrintWriter out, SseSubscription stream, int exitCode) {
        out.println(EventLines.end(stream.lastEventId(), stream.retryMillis()));
        out.flush();
        return exitCode;
    }

    private CliException failure(SseClientException error) {
        int code = error.kind() == SseClientException.Kind.BAD_STREAM ? ExitCodes.DATA : ExitCodes.FAILURE;
        return new CliException(code, url + ": " + error.getMessage());
    }

    private static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /** Only the start of a malformed -H goes into the message: the rest may be a credential. */
    private static String firstWord(String header) {
        String trimmed = header.strip();
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (Character.isWhitespace(c) || c == '=') {
                return trimmed.substring(0, i) + " …";
            }
        }
        return trimmed;
    }

    private static void removeHook(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down (Ctrl-C): the hook is running and waits for us
        }
    }

    private static void awaitQuietly(CountDownLatch done) {
        try {
            done.await(SHUTDOWN_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Prints each event as it arrives, flushed, so that a pipe sees it at once. Runs on the event loop. */
    private record Printer(PrintWriter out) implements SseHandler {
        @Override
        public void onEvent(SseEvent event) {
            out.println(EventLines.event(event));
            out.flush();
        }

        @Override
        public void onClosed(SseOutcome outcome) {
            out.flush();
        }
    }
}
