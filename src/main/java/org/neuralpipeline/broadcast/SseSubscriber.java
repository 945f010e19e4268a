package org.neuralpipeline.broadcast;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import org.neuralpipeline.sse.SseEncoder;

/**
 * A viewer on {@code GET /v1/neural/stream}: each message is one SSE event whose {@code id} is its sequence
 * number. A batch is concatenated into one buffer and written as one chunk: one system call.
 */
final class SseSubscriber implements Subscriber {
    static final Buffer PING = Buffer.buffer(SseEncoder.comment(" ping"));

    private final HttpServerResponse response;
    private final Context context;

    SseSubscriber(HttpServerResponse response, Context context) {
        this.response = response;
        this.context = context;
    }

    @Override
    public String transport() {
        return "sse";
    }

    @Override
    public boolean answersPings() {
        return false;
    }

    @Override
    public Future<Void> write(List<Frame> batch) {
        Promise<Void> written = Promise.promise();
        Loops.run(context, () -> {
            if (response.closed() || response.ended()) {
                written.fail("the SSE stream is closed");
                return;
            }
            int length = 0;
            for (Frame f : batch) {
                length += f.sse().length;
            }
            Buffer chunk = Buffer.buffer(length);
            for (Frame f : batch) {
                chunk.appendBytes(f.sse());
            }
            response.write(chunk).onComplete(written);
        });
        return written.future();
    }

    @Override
    public Future<Void> ping() {
        Promise<Void> pinged = Promise.promise();
        Loops.run(context, () -> {
            if (response.closed() || response.ended()) {
                pinged.fail("the SSE stream is closed");
            } else {
                response.write(PING.copy()).onComplete(pinged);
            }
        });
        return pinged.future();
    }

    /** SSE has no close code: a shutdown ends the stream, a slow or stale viewer's connection is reset. */
    @Override
    public void close(int code, String reason) {
        Loops.run(context, () -> {
            if (response.closed() || response.ended()) {
                return;
            }
            if (code == BroadcastHub.CLOSE_SHUTDOWN) {
                response.end();
            } else {
                response.reset();
            }
        });
    }
}
