package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.testing.Script;

/**
 * Records every sink callback as one compact JSON line, the format of {@code upstreams/*.events.json}:
 * {@code {"start":{…}}}, {@code {"role":{…}}}, {@code {"content":{…}}}, {@code {"reasoning":{…}}},
 * {@code {"tool_call":{…}}}, {@code {"finish":{…}}}, {@code {"usage":{…}}}, {@code {"failure":{…}}}, and the
 * terminal {@code {"end":true}} or {@code {"error":{"kind":…,"after_first_event":…}}}.
 *
 * <p>Also notes callbacks that ran off the expected context and callbacks after the terminal one.
 */
final class RecordingSink implements StreamSink {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<String> lines = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final CompletableFuture<Void> terminal = new CompletableFuture<>();
    private volatile Context expected;
    private UpstreamException failure;

    /** Checks that every callback runs on {@code context}. */
    RecordingSink expectContext(Context context) {
        this.expected = context;
        return this;
    }

    @Override
    public synchronized void onStart(StreamStart start) {
        ObjectNode s = OpenAiJson.MAPPER.createObjectNode();
        s.put("id", start.id());
        s.put("created", start.created());
        s.put("model", start.model());
        s.put("system_fingerprint", start.systemFingerprint());
        record("start", s);
    }

    @Override
    public synchronized void onEvent(StreamEvent event) {
        ObjectNode o = OpenAiJson.MAPPER.createObjectNode();
        switch (event) {
            case StreamEvent.Role r -> {
                o.put("choice", r.choice());
                o.put("role", r.role());
                record("role", o);
            }
            case StreamEvent.Content c -> {
                o.put("choice", c.choice());
                o.put("text", c.text());
                o.set("logprobs", c.logprobs() == null ? o.nullNode() : c.logprobs());
                record("content", o);
            }
            case StreamEvent.Reasoning r -> {
                o.put("choice", r.choice());
                o.put("text", r.text());
                o.put("field", r.field());
                record("reasoning", o);
            }
            case StreamEvent.ToolCall t -> {
                o.put("choice", t.choice());
                o.put("index", t.index());
                o.put("id", t.id());
                o.put("type", t.type());
                o.put("name", t.name());
                o.put("arguments", t.arguments());
                record("tool_call", o);
            }
            case StreamEvent.Finish f -> {
                o.put("choice", f.choice());
                o.put("reason", f.reason());
                record("finish", o);
            }
            case StreamEvent.Usage u -> record("usage", u.usage());
            case StreamEvent.Failure f -> {
                o.put("message", f.message());
                o.put("type", f.type());
                o.put("code", f.code());
                record("failure", o);
            }
        }
    }

    @Override
    public synchronized void onEnd() {
        record("end", OpenAiJson.MAPPER.getNodeFactory().booleanNode(true));
        terminal.complete(null);
    }

    @Override
    public synchronized void onFailure(UpstreamException failure) {
        this.failure = failure;
        ObjectNode e = OpenAiJson.MAPPER.createObjectNode();
        e.put("kind", failure.kind().name());
        e.put("after_first_event", failure.afterFirstEvent());
        record("error", e);
        terminal.complete(null);
    }

    private void record(String name, JsonNode value) {
        if (terminal.isDone()) {
            problems.add("callback after the terminal one: " + name);
        }
        Context ctx = expected;
        if (ctx != null && Vertx.currentContext() != ctx) {
            problems.add(name + " ran on " + Thread.currentThread().getName() + ", not the caller's context");
        }
        ObjectNode line = OpenAiJson.MAPPER.createObjectNode();
        line.set(name, value);
        lines.add(line.toString());
        notifyAll();
    }

    /** Waits until a line starting with {@code prefix} was recorded (for example {@code {"content"}). */
    synchronized void awaitLine(String prefix) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (lines.stream().noneMatch(l -> l.startsWith(prefix))) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no line starting with " + prefix + " within " + WAIT + "; recorded " + lines);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Waits for onEnd or onFailure; returns every line recorded. */
    List<String> awaitTerminal() {
        try {
            terminal.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("no terminal callback within " + WAIT + "; recorded " + lines(), e);
        }
        return lines();
    }

    /** Waits for onFailure and returns it. */
    UpstreamException awaitFailure() {
        awaitTerminal();
        synchronized (this) {
            assertThat(failure).as("the stream ended without a failure: %s", lines).isNotNull();
            return failure;
        }
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    boolean terminated() {
        return terminal.isDone();
    }

    /** The expected lines of {@code upstreams/<name>.events.json}, re-serialised the same way. */
    static List<String> expected(String name) {
        try {
            JsonNode all = OpenAiJson.MAPPER.readTree(Script.resource("/upstreams/" + name + ".events.json"));
            List<String> out = new ArrayList<>();
            for (JsonNode line : (ArrayNode) all) {
                out.add(line.toString());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
