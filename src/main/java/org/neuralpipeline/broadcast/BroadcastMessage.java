package org.neuralpipeline.broadcast;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * A message to broadcast, before the hub numbers and encodes it. Producers (the stream visualiser, ingest) make
 * one per event and hand it to {@link Publisher#publish}; the hub writes it to JSON once, on its own thread,
 * when a viewer first reads it (never, when nobody does), and every viewer gets the same bytes.
 *
 * <p>Implementations are immutable: the hub reads them on another thread, after {@code publish} returned, and
 * may encode them long after (while they wait in its replay ring).
 */
public interface BroadcastMessage {

    /** The {@code message_type} field; what {@code ?types=} filters on. */
    String type();

    /** The chat request this message belongs to, for {@code ?request_id=}; null when none. */
    String requestId();

    /** The model, for {@code ?model=}; null when none. */
    String model();

    /**
     * Writes this message's fields, {@code message_type} among them, into the JSON object the hub has opened
     * (the hub writes {@code "seq"} first and closes the object). Must not write a field named {@code seq}.
     */
    void writeFields(JsonGenerator json) throws IOException;
}
