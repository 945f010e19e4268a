package org.neuralpipeline.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One scripted HTTP response of a {@link FakeModelServer}: a status, headers, and a list of raw byte writes
 * with optional pauses between them, optionally with a {@link FaultMode}. Each write is flushed on its own,
 * so a script controls the TCP writes the client sees (the client may still read two writes at once unless a
 * pause separates them).
 *
 * <pre>{@code
 * Script.transcript("openai.sse")                        // recorded-style stream, one write per event
 * Script.sse().event("{\"id\":\"c1\",…}").pause(Duration.ofMillis(50)).done()
 * Script.sse().write("data: {\"id\":").write("\"c1\"…}\n\n")   // any byte split you like
 * Script.json(200, "{\"object\":\"chat.completion\",…}")
 * Script.transcript("vllm.sse").fault(FaultMode.NO_DONE)
 * Script.transcript("llamacpp.sse").pauseFirst(Duration.ofSeconds(2)).pauseBetweenWrites(Duration.ofMillis(30))
 * }</pre>
 *
 * <p>Builder methods change this script and return it; a script may be served any number of times.
 */
public final class Script {
    /** The pause between the two halves of a split multi-byte character ({@link FaultMode#SPLIT_MULTIBYTE}). */
    public static final Duration SPLIT_PAUSE = Duration.ofMillis(20);
    /** The event {@link FaultMode#MALFORMED_CHUNK} inserts: JSON cut short. */
    public static final String MALFORMED_EVENT = "data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\"index\":0,\"delta\":\n\n";
    /** The comment {@link FaultMode#KEEPALIVE_COMMENTS} inserts. */
    public static final String KEEPALIVE = ": keep-alive\n\n";

    private static final Pattern FIRST_TOKEN =
            Pattern.compile("\"(content|reasoning_content|reasoning|arguments|text)\"\\s*:\\s*\"[^\"]");

    /** One step of a response body. */
    public sealed interface Step {
    }

    /** Bytes written (and flushed) as one write. */
    public record Write(byte[] bytes) implements Step {
        public Write {
            bytes = bytes.clone();
        }

        @Override
        public String toString() {
            return "Write[" + new String(bytes, StandardCharsets.UTF_8) + "]";
        }
    }

    /** A pause before the next step (a Vert.x timer in the server; tests never sleep). */
    public record Pause(Duration duration) implements Step {
    }

    /** How a response finishes once its steps are played. */
    enum Ending { END, STALL, DISCONNECT }

    /** What the server does for one request, the fault applied. */
    record Plan(int status, Map<String, String> headers, List<Step> steps, Ending ending) {
    }

    private int status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<Step> steps = new ArrayList<>();
    private FaultMode fault;

    private Script(int status, String contentType) {
        this.status = status;
        headers.put("Content-Type", contentType);
    }

    /** 200, {@code text/event-stream}, {@code Cache-Control: no-cache}, no writes yet. */
    public static Script sse() {
        Script script = new Script(200, "text/event-stream");
        script.headers.put("Cache-Control", "no-cache");
        return script;
    }

    /** A JSON answer written at once. */
    public static Script json(int status, String body) {
        return new Script(status, "application/json").write(body);
    }

    /** Any status and content type, no writes yet. */
    public static Script of(int status, String contentType) {
        return new Script(status, contentType);
    }

    /**
     * A stream from {@code src/test/resources/upstreams/<name>}: one write per event (each event ends at its
     * blank line, LF or CRLF), byte for byte as in the file.
     */
    public static Script transcript(String name) {
        Script script = sse();
        for (byte[] event : splitEvents(resource("/upstreams/" + name))) {
            script.steps.add(new Write(event));
        }
        return script;
    }

    /** The bytes of a test resource, for example {@code /upstreams/openai.sse}. */
    public static byte[] resource(String path) {
        try (InputStream in = Script.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Script status(int status) {
        this.status = status;
        return this;
    }

    /** Sets a response header (replacing one of the same name). */
    public Script header(String name, String value) {
        headers.keySet().removeIf(n -> n.equalsIgnoreCase(name));
        headers.put(name, value);
        return this;
    }

    public Script write(String text) {
        return write(text.getBytes(StandardCharsets.UTF_8));
    }

    public Script write(byte[] bytes) {
        steps.add(new Write(bytes));
        return this;
    }

    /** One SSE event: {@code data: <data>\n\n}. */
    public Script event(String data) {
        return write("data: " + data + "\n\n");
    }

    /** {@code data: [DONE]\n\n}. */
    public Script done() {
        return event("[DONE]");
    }

    public Script pause(Duration duration) {
        steps.add(new Pause(Objects.requireNonNull(duration, "duration")));
        return this;
    }

    /** Puts a pause before the first write, after the headers: a slow first token (prefill). */
    public Script pauseFirst(Duration duration) {
        steps.add(0, new Pause(Objects.requireNonNull(duration, "duration")));
        return this;
    }

    /** Puts a pause between every two writes (transcripts have none). */
    public Script pauseBetweenWrites(Duration duration) {
        List<Step> paced = new ArrayList<>();
        for (Step step : steps) {
            if (step instanceof Write && !paced.isEmpty()) {
                paced.add(new Pause(duration));
            }
            paced.add(step);
        }
        steps.clear();
        steps.addAll(paced);
        return this;
    }

    /** Misbehave this way when served (unless the server has a fault of its own). */
    public Script fault(FaultMode fault) {
        this.fault = fault;
        return this;
    }

    public FaultMode fault() {
        return fault;
    }

    public int status() {
        return status;
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    /** Every write concatenated: the body a client receives when no fault applies. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Step step : steps) {
            if (step instanceof Write w) {
                out.writeBytes(w.bytes());
            }
        }
        return out.toByteArray();
    }

    /** The body as UTF-8 text. */
    public String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    Plan plan(FaultMode serverFault) {
        FaultMode mode = serverFault != null ? serverFault : fault;
        if (mode == null) {
            return new Plan(status, Map.copyOf(headers), List.copyOf(steps), Ending.END);
        }
        return switch (mode) {
            case REFUSE -> new Plan(0, Map.of(), List.of(), Ending.DISCONNECT);
            case STALL_BEFORE_HEADERS -> new Plan(0, Map.of(), List.of(), Ending.STALL);
            case HTTP_500 -> error(500, Map.of(), "{\"error\":{\"message\":\"Internal server error (scripted fault)\","
                    + "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
            case HTTP_429_WITH_RETRY_AFTER -> error(429, Map.of("Retry-After", "7"),
                    "{\"error\":{\"message\":\"Rate limit reached (scripted fault)\",\"type\":\"requests\","
                            + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
            case STALL_AFTER_FIRST_TOKEN -> new Plan(status, Map.copyOf(headers), upToFirstToken(), Ending.STALL);
            case DISCONNECT_MID_STREAM -> new Plan(status, Map.copyOf(headers), upToFirstToken(), Ending.DISCONNECT);
            case MALFORMED_CHUNK -> {
                List<Step> out = upToFirstToken();
                int rest = out.size();
                out.add(new Write(MALFORMED_EVENT.getBytes(StandardCharsets.UTF_8)));
                out.addAll(steps.subList(rest, steps.size()));
                yield new Plan(status, Map.copyOf(headers), out, Ending.END);
            }
            case NO_DONE -> new Plan(status, Map.copyOf(headers), withoutDone(), Ending.END);
            case SPLIT_MULTIBYTE -> new Plan(status, Map.copyOf(headers), splitMultibyte(), Ending.END);
            case KEEPALIVE_COMMENTS -> {
                List<Step> out = new ArrayList<>();
                for (Step step : steps) {
                    if (step instanceof Write) {
                        out.add(new Write(KEEPALIVE.getBytes(StandardCharsets.US_ASCII)));
                    }
                    out.add(step);
                }
                yield new Plan(status, Map.copyOf(headers), out, Ending.END);
            }
        };
    }

    private static Plan error(int status, Map<String, String> extra, String body) {
        Map<String, String> h = new LinkedHashMap<>(extra);
        h.put("Content-Type", "application/json");
        return new Plan(status, h, List.of(new Write(body.getBytes(StandardCharsets.UTF_8))), Ending.END);
    }

    /** The steps up to and including the first token's write (a fresh, mutable list). */
    private List<Step> upToFirstToken() {
        int last = -1;
        for (int i = 0; i < steps.size() && last < 0; i++) {
            if (steps.get(i) instanceof Write w
                    && FIRST_TOKEN.matcher(new String(w.bytes(), StandardCharsets.UTF_8)).find()) {
                last = i;
            }
        }
        if (last < 0) {
            for (int i = 0; i < steps.size() && last < 0; i++) {
                if (steps.get(i) instanceof Write) {
                    last = i;
                }
            }
        }
        return new ArrayList<>(steps.subList(0, last + 1));
    }

    private List<Step> withoutDone() {
        List<Step> out = new ArrayList<>();
        for (Step step : steps) {
            if (step instanceof Write w) {
                // Latin-1 maps bytes to chars one to one, so the rest of the write is kept byte for byte
                String text = new String(w.bytes(), StandardCharsets.ISO_8859_1)
                        .replaceAll("data: ?\\[DONE\\]\\r?\\n\\r?\\n", "");
                if (!text.isEmpty()) {
                    out.add(new Write(text.getBytes(StandardCharsets.ISO_8859_1)));
                }
            } else {
                out.add(step);
            }
        }
        return out;
    }

    private List<Step> splitMultibyte() {
        List<Step> out = new ArrayList<>();
        boolean split = false;
        for (Step step : steps) {
            int lead = step instanceof Write w ? firstMultibyteLead(w.bytes()) : -1;
            if (lead < 0) {
                out.add(step);
                continue;
            }
            byte[] b = ((Write) step).bytes();
            int cut = lead + 1; // inside the character: after its lead byte
            out.add(new Write(java.util.Arrays.copyOfRange(b, 0, cut)));
            out.add(new Pause(SPLIT_PAUSE));
            out.add(new Write(java.util.Arrays.copyOfRange(b, cut, b.length)));
            split = true;
        }
        if (!split) {
            throw new IllegalStateException("SPLIT_MULTIBYTE: the script has no multi-byte UTF-8 character to split");
        }
        return out;
    }

    private static int firstMultibyteLead(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if ((bytes[i] & 0xC0) == 0xC0) {
                return i;
            }
        }
        return -1;
    }

    /** Splits a transcript after every blank line (LF LF, CRLF CRLF, CR CR); a tail without one is kept. */
    static List<byte[]> splitEvents(byte[] all) {
        List<byte[]> events = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < all.length) {
            int end = blankLineEnd(all, i);
            if (end > 0) {
                events.add(java.util.Arrays.copyOfRange(all, start, end));
                start = end;
                i = end;
            } else {
                i++;
            }
        }
        if (start < all.length) {
            events.add(java.util.Arrays.copyOfRange(all, start, all.length));
        }
        return events;
    }

    /** If a line ending followed by an empty line starts at {@code i}, where it ends; else -1. */
    private static int blankLineEnd(byte[] b, int i) {
        int first = lineEnd(b, i);
        if (first < 0) {
            return -1;
        }
        return lineEnd(b, first);
    }

    private static int lineEnd(byte[] b, int i) {
        if (i >= b.length) {
            return -1;
        }
        if (b[i] == '\r') {
            return i + 1 < b.length && b[i + 1] == '\n' ? i + 2 : i + 1;
        }
        return b[i] == '\n' ? i + 1 : -1;
    }
}
