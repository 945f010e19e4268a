package org.neuralpipeline.sse;

import io.vertx.core.MultiMap;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.neuralpipeline.testing.EventRecorder;

/** An {@link SseHandler} that records every call, and the threads it was called on. */
class RecordingHandler implements SseHandler {

    sealed interface Call {
    }

    record Open(int status, String contentType) implements Call {
    }

    record Event(SseEvent event) implements Call {
    }

    record Comment(String text) implements Call {
    }

    record Reconnecting(int attempt, Duration delay, Throwable cause) implements Call {
    }

    record Closed(SseOutcome outcome) implements Call {
    }

    final EventRecorder<Call> calls = new EventRecorder<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    @Override
    public void onOpen(int status, MultiMap headers) {
        record(new Open(status, headers.get("Content-Type")));
    }

    @Override
    public void onEvent(SseEvent event) {
        record(new Event(event));
    }

    @Override
    public void onComment(String text) {
        record(new Comment(text));
    }

    @Override
    public void onReconnecting(int attempt, Duration delay, Throwable cause) {
        record(new Reconnecting(attempt, delay, cause));
    }

    @Override
    public void onClosed(SseOutcome outcome) {
        record(new Closed(outcome));
    }

    private void record(Call call) {
        threads.add(Thread.currentThread().getName());
        calls.record(call);
    }

    SseEvent nextEvent() {
        return calls.next(Event.class).event();
    }

    Reconnecting nextReconnecting() {
        return calls.next(Reconnecting.class);
    }

    SseOutcome nextClosed() {
        return calls.next(Closed.class).outcome();
    }

    /** The failure of the next onClosed, which must be a failure. */
    SseClientException nextFailure() {
        SseOutcome outcome = nextClosed();
        if (!(outcome instanceof SseOutcome.Failed failed)) {
            throw new AssertionError("expected a failure but got: " + outcome);
        }
        return failed.error();
    }
}
