package org.neuralpipeline.testing;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A request as {@link ScriptedHttpServer} received it.
 *
 * @param headers names are case-insensitive
 * @param body the body decoded as UTF-8
 * @param receivedNanos {@link System#nanoTime()} when the request was complete, to measure gaps
 */
public record ReceivedRequest(String method, String uri, Map<String, List<String>> headers, String body,
        long receivedNanos) {

    public ReceivedRequest {
        SortedMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        headers = Collections.unmodifiableSortedMap(copy);
    }

    /** The first value of a header, or null when the request had none. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
