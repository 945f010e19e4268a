package org.neuralpipeline.sse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs {@link SseParser} over a whole input in chosen pieces and records everything it reports. */
final class ParserHarness {
    private ParserHarness() {
    }

    /**
     * Everything one parse reported. {@code failure} is the limit message when the parse stopped on
     * {@link SseLimitExceededException} (then {@code end()} was not called), else null.
     */
    record Outcome(List<SseEvent> events, List<String> comments, List<Long> retries, String lastEventId,
            long retryMillis, String failure) {
    }

    static final class Recorder implements SseListener {
        final List<SseEvent> events = new ArrayList<>();
        final List<String> comments = new ArrayList<>();
        final List<Long> retries = new ArrayList<>();

        @Override
        public void onEvent(SseEvent event) {
            events.add(event);
        }

        @Override
        public void onRetry(long millis) {
            retries.add(millis);
        }

        @Override
        public void onComment(String text) {
            comments.add(text);
        }
    }

    static Outcome parse(byte[] input) {
        return parseInChunks(input, Math.max(1, input.length), SseParser.DEFAULT_MAX_BYTES,
                SseParser.DEFAULT_MAX_BYTES);
    }

    static Outcome parseInChunks(byte[] input, int chunkSize, int maxLineBytes, int maxEventBytes) {
        List<Integer> cuts = new ArrayList<>();
        for (int cut = chunkSize; cut < input.length; cut += chunkSize) {
            cuts.add(cut);
        }
        return parseSplit(input, cuts.stream().mapToInt(Integer::intValue).toArray(), maxLineBytes, maxEventBytes);
    }

    /**
     * Feeds {@code input} cut at the given ascending offsets. Each piece is fed from a copy of its own, at a
     * non-zero offset inside a larger array, so that the parser cannot rely on array bounds, and the copy is
     * overwritten after the feed, so that the parser cannot keep a reference to it.
     */
    static Outcome parseSplit(byte[] input, int[] cuts, int maxLineBytes, int maxEventBytes) {
        Recorder recorder = new Recorder();
        SseParser parser = new SseParser(recorder, maxLineBytes, maxEventBytes);
        String failure = null;
        try {
            int from = 0;
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : input.length;
                int length = to - from;
                byte[] piece = new byte[length + 6];
                System.arraycopy(input, from, piece, 3, length);
                // bytes around the piece that must never be read as part of it
                piece[0] = piece[1] = piece[2] = '\n';
                piece[length + 3] = piece[length + 4] = piece[length + 5] = '\r';
                parser.feed(piece, 3, length);
                // like a network buffer, the array is reused once feed returns: the parser must not look again
                Arrays.fill(piece, (byte) '?');
                from = to;
            }
            parser.end();
        } catch (SseLimitExceededException e) {
            failure = e.getMessage();
        }
        return new Outcome(recorder.events, recorder.comments, recorder.retries, parser.lastEventId(),
                parser.retryMillis(), failure);
    }
}
