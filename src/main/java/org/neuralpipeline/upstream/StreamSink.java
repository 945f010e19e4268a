package org.neuralpipeline.upstream;

import org.neuralpipeline.openai.StreamEvent;

/** Receives one upstream stream, normalised. Called on the caller's Vert.x context; must not block. */
public interface StreamSink {
    /** Response metadata, once, before any event: the upstream's completion id, created time, fingerprint. */
    default void onStart(StreamStart start) {
    }

    void onEvent(StreamEvent event);

    /** The stream completed: every choice had a finish reason (and usage, if the upstream sends it). */
    void onEnd();

    /** The stream failed; {@link UpstreamException#afterFirstEvent()} says whether events were delivered. */
    void onFailure(UpstreamException failure);

    /**
     * @param id the upstream's completion id (may be null; the gateway makes its own then)
     * @param created the upstream's {@code created} seconds of its first chunk, or 0
     * @param systemFingerprint passed through when present
     */
    record StreamStart(String id, long created, String model, String systemFingerprint) {
    }
}
