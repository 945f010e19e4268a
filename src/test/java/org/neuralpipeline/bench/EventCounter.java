package org.neuralpipeline.bench;

import okhttp3.sse.internal.ServerSentEventReader;
import org.neuralpipeline.sse.SseEvent;
import org.neuralpipeline.sse.SseListener;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The measured consumer, the same for both parsers: counts events, sums their data lengths and hands
 * each event (ours) or its data (OkHttp, which makes no event object) to the {@link Blackhole}, so the
 * JIT cannot drop the work of building them.
 */
final class EventCounter implements SseListener, ServerSentEventReader.Callback {
    private final Blackhole blackhole;
    int events;
    long dataChars;

    EventCounter(Blackhole blackhole) {
        this.blackhole = blackhole;
    }

    @Override
    public void onEvent(SseEvent event) {
        events++;
        dataChars += event.data().length();
        blackhole.consume(event);
    }

    @Override
    public void onEvent(String id, String type, String data) {
        events++;
        dataChars += data.length();
        blackhole.consume(data);
    }

    @Override
    public void onRetryChange(long timeMs) {
    }
}
