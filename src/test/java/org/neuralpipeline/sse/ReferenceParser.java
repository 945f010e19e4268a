package org.neuralpipeline.sse;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The WHATWG event-stream parsing and interpretation algorithms transcribed as literally as possible:
 * decode the whole stream, split it into lines of characters, process each line with string operations.
 * Slow and obviously right; the oracle for differential tests of {@link SseParser}. No limits.
 */
final class ReferenceParser {
    private ReferenceParser() {
    }

    static ParserHarness.Outcome parse(byte[] input) {
        List<SseEvent> events = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        List<Long> retries = new ArrayList<>();
        // "UTF-8 decode": strip one leading BOM, then the WHATWG UTF-8 decoder
        int start = input.length >= 3 && (input[0] & 0xFF) == 0xEF && (input[1] & 0xFF) == 0xBB
                && (input[2] & 0xFF) == 0xBF ? 3 : 0;
        String stream = Utf8.decodeWhatwg(input, start, input.length - start);

        StringBuilder data = new StringBuilder();
        String eventType = "";
        String lastEventIdBuffer = "";
        String lastEventId = "";
        long retry = -1;

        int lineStart = 0;
        for (int i = 0; i < stream.length(); i++) {
            char c = stream.charAt(i);
            if (c != '\r' && c != '\n') {
                continue;
            }
            String line = stream.substring(lineStart, i);
            if (c == '\r' && i + 1 < stream.length() && stream.charAt(i + 1) == '\n') {
                i++;
            }
            lineStart = i + 1;

            if (line.isEmpty()) {
                // dispatch the event
                lastEventId = lastEventIdBuffer;
                if (data.isEmpty()) {
                    eventType = "";
                    continue;
                }
                if (data.charAt(data.length() - 1) == '\n') {
                    data.setLength(data.length() - 1);
                }
                events.add(new SseEvent(eventType.isEmpty() ? "message" : eventType, data.toString(), lastEventId));
                data.setLength(0);
                eventType = "";
                continue;
            }
            if (line.charAt(0) == ':') {
                comments.add(line.substring(1));
                continue;
            }
            String field;
            String value;
            int colon = line.indexOf(':');
            if (colon >= 0) {
                field = line.substring(0, colon);
                value = line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
            } else {
                field = line;
                value = "";
            }
            switch (field) {
                case "event" -> eventType = value;
                case "data" -> data.append(value).append('\n');
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        lastEventIdBuffer = value;
                    }
                }
                case "retry" -> {
                    if (!value.isEmpty() && value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                        retry = new BigInteger(value).min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact();
                        retries.add(retry);
                    }
                }
                default -> {
                    // ignored
                }
            }
        }
        // end of stream: the unterminated line and the pending event are discarded
        return new ParserHarness.Outcome(events, comments, retries, lastEventId, retry, null);
    }
}
