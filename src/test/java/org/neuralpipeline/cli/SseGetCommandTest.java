package org.neuralpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralpipeline.testing.ReceivedRequest;
import org.neuralpipeline.testing.Reply;
import org.neuralpipeline.testing.ScriptedHttpServer;

/** {@code sse get} end to end: the real command line against a real server on 127.0.0.1. */
class SseGetCommandTest {
    private static Vertx vertx;
    private ScriptedHttpServer server;

    record Result(int exitCode, List<String> out, String err) {
    }

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws TimeoutException {
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void startServer() {
        server = ScriptedHttpServer.start(vertx);
    }

    @AfterEach
    void stopServer() {
        try {
            server.requests().assertExhausted();
        } finally {
            server.close();
        }
    }

    @Test
    void printsEachEventAsNdjsonThenTheEndLine() {
        server.enqueue(
                Reply.eventStream().write("retry: 10\nid: 1\ndata: hello\n\n: ping\n\nevent: done\ndata: bye\ndata: now\n\n"),
                Reply.status(204));

        Result result = run("sse", "get", server.url("/events"));

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).containsExactly(
                "{\"type\":\"message\",\"data\":\"hello\",\"id\":\"1\"}",
                "{\"type\":\"done\",\"data\":\"bye\\nnow\",\"id\":\"1\"}",
                "{\"end\":true,\"last_event_id\":\"1\",\"retry_ms\":10}");
        assertThat(result.err()).isEmpty();
        assertThat(server.requests().next().header("Last-Event-ID")).isNull();
        assertThat(server.requests().next().header("Last-Event-ID")).as("GET reconnects by default").isEqualTo("1");
    }

    @Test
    void serverErrorExitsOneWithOneLineNamingUrlAndStatus() {
        server.enqueue(Reply.status(500).write("upstream exploded"));
        String url = server.url("/events");

        Result result = run("sse", "get", url);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("neural-pipeline: " + url + ": HTTP 500: upstream exploded\n");
        server.requests().next();
    }

    @Test
    void wrongContentTypeExitsOne() {
        server.enqueue(Reply.status(200).header("Content-Type", "text/html").write("<html>"));

        Result result = run("sse", "get", server.url("/"));

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("Content-Type \"text/html\" (expected: text/event-stream)");
        server.requests().next();
    }

    @Test
    void malformedHeaderExitsTwoWithoutEchoingItsValue() {
        Result result = run("sse", "get", server.url("/events"), "-H", "Authorization Bearer sk-secret");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo(
                "neural-pipeline: -H \"Authorization …\": missing name or ':' (expected: 'Name: value')\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void badUrlAndNegativeNumbersExitTwo() {
        assertThat(run("sse", "get", "localhost:8080/events").err())
                .isEqualTo("neural-pipeline: url: \"localhost:8080/events\" (expected: an http:// or https:// URL)\n");
        Result negative = run("sse", "get", server.url("/"), "--max-retries", "-1");
        assertThat(negative.exitCode()).isEqualTo(2);
        assertThat(negative.err()).isEqualTo("neural-pipeline: --max-retries: -1 (expected: 0 or more)\n");
        assertThat(run("sse", "get", server.url("/"), "--idle-timeout", "-5").exitCode()).isEqualTo(2);
        assertThat(run("sse", "get", server.url("/"), "--max-bytes", "0").exitCode()).isEqualTo(2);
    }

    @Test
    void dataMakesAPostSentOnceWithJsonContentTypeAndHeaders() {
        server.enqueue(Reply.eventStream().write("data: {\"x\":1}\n\ndata: [DONE]\n\n"));

        Result result = run("sse", "get", server.url("/v1/chat/completions"),
                "-d", "{\"stream\":true}", "-H", "Authorization: Bearer sk-test");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).containsExactly(
                "{\"type\":\"message\",\"data\":\"{\\\"x\\\":1}\",\"id\":\"\"}",
                "{\"type\":\"message\",\"data\":\"[DONE]\",\"id\":\"\"}",
                "{\"end\":true,\"last_event_id\":\"\",\"retry_ms\":null}");
        ReceivedRequest request = server.requests().next();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.body()).isEqualTo("{\"stream\":true}");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertThat(request.header("Authorization")).isEqualTo("Bearer sk-test");
    }

    @Test
    void dataFromAFileKeepsAContentTypeGivenWithH(@TempDir Path dir) throws Exception {
        Path body = Files.writeString(dir.resolve("body.txt"), "prompt=hi");
        server.enqueue(Reply.eventStream().write("data: ok\n\n"));

        Result result = run("sse", "get", server.url("/gen"), "-d", "@" + body, "-H", "content-type: text/plain");

        assertThat(result.exitCode()).isZero();
        ReceivedRequest request = server.requests().next();
        assertThat(request.body()).isEqualTo("prompt=hi");
        assertThat(request.headers().get("Content-Type")).containsExactly("text/plain");
        assertThat(run("sse", "get", server.url("/gen"), "-d", "@" + dir.resolve("missing")).exitCode())
                .isEqualTo(ExitCodes.IO);
    }

    @Test
    void maxRetriesZeroReadsOneResponseForAGet() {
        server.enqueue(Reply.eventStream().write("id: 9\ndata: only\n\n"));

        Result result = run("sse", "get", server.url("/events"), "--max-retries", "0");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).containsExactly(
                "{\"type\":\"message\",\"data\":\"only\",\"id\":\"9\"}",
                "{\"end\":true,\"last_event_id\":\"9\",\"retry_ms\":null}");
        server.requests().next();
    }

    @Test
    void parserLimitExitsWithDataError() {
        server.enqueue(Reply.eventStream().write("data: " + "x".repeat(100) + "\n\n"));

        Result result = run("sse", "get", server.url("/events"), "--max-bytes", "32");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(result.err()).contains("stream rejected");
        server.requests().next();
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        String printed = out.toString();
        return new Result(code, printed.isEmpty() ? List.of() : List.of(printed.split("\n")), err.toString());
    }
}
