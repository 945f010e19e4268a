package org.neuralpipeline.sse;

import java.util.Objects;

/**
 * One dispatched server-sent event, as the WHATWG "event stream interpretation" defines it.
 *
 * @param type the event type; {@code "message"} when the stream named none
 * @param data the data buffer with its one trailing LF removed; never empty for a dispatched event
 * @param id the last event ID at dispatch time; {@code ""} when none was ever set (as the spec's
 *     {@code lastEventId} attribute)
 */
public record SseEvent(String type, String data, String id) {
    public static final String DEFAULT_TYPE = "message";

    public SseEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(id, "id");
    }

    /** An event of the default type with no id, the common case for OpenAI-style streams. */
    public static SseEvent message(String data) {
        return new SseEvent(DEFAULT_TYPE, data, "");
    }
}
