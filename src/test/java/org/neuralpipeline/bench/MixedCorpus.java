package org.neuralpipeline.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.neuralpipeline.sse.SseEvent;

/**
 * Event streams that use every line-level feature of the format: CRLF (half the events), LF and bare CR
 * line endings, {@code event:}, {@code id:} (including an empty one, which resets the last event ID),
 * {@code retry:} (valid and not), comment lines and comment-only blocks, unknown fields, multi-line
 * {@code data}, {@code data} with and without a space after the colon and with no colon at all, and
 * multi-byte UTF-8 text.
 *
 * <p>Each event uses one line ending for all its lines and its blank line. Events with bare CR endings
 * carry only data and comment lines: OkHttp's reader reads {@code id}, {@code event} and {@code retry}
 * values up to LF only ({@code readUtf8LineStrict}), so it would merge such lines and the two parsers
 * would no longer see the same events. OkHttp also keeps an {@code id} only when its event is dispatched;
 * every block with an {@code id:} here has data, so both readings agree.
 */
final class MixedCorpus {
    static final long SEED = 0x5EED_0B2L;

    private static final String[] EVENT_NAMES = {"message", "delta", "content_block_delta", "message_start",
        "ping", "update-✓", "status", ""};
    private static final String[] COMMENTS = {" keep-alive", "ping", "", " ok"};

    private final SplittableRandom random;
    private final Tokens tokens;
    private final ByteSink out;
    private final ByteSink allData = new ByteSink(1 << 20);
    private int[] dataEnds = new int[1 << 16];
    private final List<String> lines = new ArrayList<>();
    private final StringBuilder data = new StringBuilder();
    private String lastId = "";
    private long nextId = 1;
    private int events;
    private long checksum = 17;
    private long ownBytes;
    private long typeAndIdBytes;

    private MixedCorpus(long seed, int minBytes) {
        random = new SplittableRandom(seed);
        tokens = new Tokens(random);
        out = new ByteSink(minBytes + (1 << 20));
    }

    static Corpus generate(long seed, int minBytes) {
        MixedCorpus g = new MixedCorpus(seed, minBytes);
        while (g.out.size() < minBytes) {
            if (g.random.nextInt(50) == 0) {
                g.tokens.newCompletion();
            }
            g.block();
        }
        return new Corpus("mixed", g.out.toByteArray(), g.events, g.checksum, g.ownBytes, g.typeAndIdBytes,
                g.allData.toByteArray(), Arrays.copyOf(g.dataEnds, g.events));
    }

    private void block() {
        int r = random.nextInt(100);
        String eol = r < 50 ? "\r\n" : r < 80 ? "\n" : "\r";
        boolean dataAndCommentsOnly = eol.equals("\r");
        lines.clear();
        if (random.nextInt(100) < 8) {
            lines.add(comment());
            if (random.nextBoolean()) {
                lines.add(comment());
            }
            write(eol);
            return;
        }

        String type = SseEvent.DEFAULT_TYPE;
        long own = 0;
        List<String> meta = new ArrayList<>(4);
        if (!dataAndCommentsOnly && random.nextInt(100) < 30) {
            String name = EVENT_NAMES[random.nextInt(EVENT_NAMES.length)];
            meta.add(field("event", name));
            if (!name.isEmpty()) {
                type = name;
                own += EventChecksum.retainedSize(name);
            }
        }
        if (!dataAndCommentsOnly && random.nextInt(100) < 25) {
            int k = random.nextInt(20);
            lastId = k == 0 ? "" : k < 12 ? Long.toString(nextId++) : "evt-" + (nextId++) + "-" + random.nextInt(1000);
            meta.add(field("id", lastId));
            own += lastId.isEmpty() ? 0 : EventChecksum.retainedSize(lastId);
        }
        if (!dataAndCommentsOnly && random.nextInt(100) < 3) {
            meta.add(field("retry", random.nextInt(4) == 0 ? "soon" : Integer.toString(500 + random.nextInt(10_000))));
        }
        if (random.nextInt(100) < 2) {
            meta.add(random.nextBoolean() ? "dataset: 7" : "x-trace:" + random.nextInt(1_000_000));
        }

        int d = random.nextInt(100);
        int dataLines = d < 60 ? 1 : d < 85 ? 2 + random.nextInt(2) : 4 + random.nextInt(5);
        List<String> dataFields = new ArrayList<>(dataLines);
        data.setLength(0);
        for (int i = 0; i < dataLines; i++) {
            String value = dataValue();
            if (i > 0) {
                data.append('\n');
            }
            data.append(value);
            dataFields.add(value.isEmpty() && random.nextInt(3) == 0 ? "data" : field("data", value));
        }

        if (random.nextInt(100) < 10) {
            lines.add(comment());
        }
        if (random.nextInt(100) < 20) {
            lines.addAll(dataFields);
            lines.addAll(meta);
        } else {
            lines.addAll(meta);
            lines.addAll(dataFields);
        }
        if (random.nextInt(100) < 5) {
            lines.add(random.nextInt(lines.size() + 1), comment());
        }
        write(eol);

        String value = data.toString();
        recordData(value);
        events++;
        checksum = EventChecksum.mix(checksum, type, value, lastId);
        typeAndIdBytes += own;
        ownBytes += own + EventChecksum.SSE_EVENT_BYTES + EventChecksum.retainedSize(value);
    }

    /** Appends one dispatched event's data to {@link Corpus#data()}. */
    private void recordData(String value) {
        allData.utf8(value);
        if (events == dataEnds.length) {
            dataEnds = Arrays.copyOf(dataEnds, 2 * events);
        }
        dataEnds[events] = allData.size();
    }

    private String dataValue() {
        int k = random.nextInt(100);
        if (k < 8) {
            return "";
        }
        if (k < 18) {
            return "{\"seq\":" + random.nextInt(100_000) + ",\"text\":\"" + tokens.line(1, 8).replace("\\", "\\\\")
                    .replace("\"", "\\\"") + "\"}";
        }
        return tokens.line(3, 30);
    }

    /** {@code name: value}, or {@code name:value} when the value cannot lose a leading space that way. */
    private String field(String name, String value) {
        boolean space = value.isEmpty() || value.charAt(0) == ' ' || random.nextInt(10) < 7;
        return name + (space ? ": " : ":") + value;
    }

    private String comment() {
        return random.nextInt(4) == 0 ? ": " + tokens.line(1, 6) : ":" + COMMENTS[random.nextInt(COMMENTS.length)];
    }

    private void write(String eol) {
        for (String line : lines) {
            out.utf8(line).ascii(eol);
        }
        out.ascii(eol);
    }
}
