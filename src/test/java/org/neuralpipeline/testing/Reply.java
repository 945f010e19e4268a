package org.neuralpipeline.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link ScriptedHttpServer} does with one request: a status, headers, then steps (write bytes, pause)
 * and a way to finish (end the response, drop the connection, or stall with it open). Build with the
 * static factories and the chaining methods; a reply is reusable.
 *
 * <pre>{@code
 * Reply.eventStream().write("data: a\n\n").pause(Duration.ofMillis(20)).write("data: b\n\n").drop()
 * }</pre>
 */
public final class Reply {

    /** How the reply finishes. */
    public enum Finish {
        /** End the response normally. */
        END,
        /** Close the TCP connection at once, mid-response (a crash, a proxy timeout). */
        DROP,
        /** Send nothing more and keep the connection open (a hung server). */
        STALL
    }

    sealed interface Step {
        record Write(byte[] bytes) implements Step {
        }

        record Pause(Duration duration) implements Step {
        }
    }

    final int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    final List<Step> steps = new ArrayList<>();
    final boolean answer;
    Finish finish = Finish.END;

    private Reply(int status, boolean answer) {
        this.status = status;
        this.answer = answer;
    }

    /** 200 with {@code Content-Type: text/event-stream}, chunked. */
    public static Reply eventStream() {
        return status(200).header("Content-Type", "text/event-stream");
    }

    /** A status; add a body with {@link #write}. */
    public static Reply status(int status) {
        return new Reply(status, true);
    }

    /** Closes the connection without sending a byte of response. */
    public static Reply dropBeforeHeaders() {
        Reply reply = new Reply(0, false);
        reply.finish = Finish.DROP;
        return reply;
    }

    /** Accepts the request and never answers. */
    public static Reply stallBeforeHeaders() {
        Reply reply = new Reply(0, false);
        reply.finish = Finish.STALL;
        return reply;
    }

    public Reply header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Writes (and flushes) this text, UTF-8 encoded, as one chunk. */
    public Reply write(String text) {
        return write(text.getBytes(StandardCharsets.UTF_8));
    }

    public Reply write(byte[] bytes) {
        steps.add(new Step.Write(bytes.clone()));
        return this;
    }

    /**
     * Waits before the next step (a server-side timer; nothing sleeps). Between two writes this makes them
     * separate TCP segments in practice, to test data split across reads.
     */
    public Reply pause(Duration duration) {
        steps.add(new Step.Pause(duration));
        return this;
    }

    public Reply end() {
        finish = Finish.END;
        return this;
    }

    public Reply drop() {
        finish = Finish.DROP;
        return this;
    }

    public Reply stall() {
        finish = Finish.STALL;
        return this;
    }

    @Override
    public String toString() {
        return "Reply[" + (answer ? status : "no answer") + ", " + steps.size() + " steps, " + finish + "]";
    }
}
