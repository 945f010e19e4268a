package org.neuralpipeline.app;

import io.vertx.core.Future;
import java.util.List;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.ForwardedRequest;
import org.neuralpipeline.upstream.ForwardedResponse;
import org.neuralpipeline.upstream.StreamSink;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamCall;
import org.neuralpipeline.upstream.UpstreamException;
import org.neuralpipeline.visual.StreamVisualizer;
import org.neuralpipeline.visual.Visualizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway as the broadcast's producer, without the gateway knowing: wraps an upstream and taps the events of
 * every chat stream it serves into a {@link StreamVisualizer}. Every attempt is tapped separately, so with
 * failover an attempt that fails before its first token publishes nothing (its visualiser never started), and
 * the attempt that answers publishes StreamStarted at its first token.
 *
 * <p>Events go to the gateway's sink first and to the visualiser after, so the client's relay never waits for
 * the broadcast (which only enqueues anyway). A failure in the broadcast path is logged and never reaches the
 * relay. A cancelled call (the client left, a deadline passed) gets no further sink callback, so the
 * cancellation itself ends the stream's broadcast, as {@code cancelled}.
 */
final class BroadcastingUpstream implements Upstream {
    private static final Logger LOG = LoggerFactory.getLogger(BroadcastingUpstream.class);

    private final Upstream delegate;
    private final Visualizer visualizer;

    BroadcastingUpstream(Upstream delegate, Visualizer visualizer) {
        this.delegate = delegate;
        this.visualizer = visualizer;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Future<List<String>> models() {
        return delegate.models();
    }

    @Override
    public List<String> configuredModels() {
        return delegate.configuredModels();
    }

    @Override
    public UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink) {
        StreamVisualizer stream = visualizer.stream(context.requestId(), request.model(), delegate.name());
        UpstreamCall call = delegate.streamChat(request, context, new Tap(sink, stream));
        return () -> {
            call.cancel();
            safely(stream::cancelled);
        };
    }

    @Override
    public Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context) {
        return delegate.forward(request, context);
    }

    @Override
    public Future<Void> close() {
        return delegate.close();
    }

    private static void safely(Runnable broadcast) {
        try {
            broadcast.run();
        } catch (RuntimeException e) {
            LOG.warn("broadcast of a stream failed; the stream itself is unaffected", e);
        }
    }

    /** Passes every callback on, then shows it to the visualiser. */
    private record Tap(StreamSink sink, StreamVisualizer stream) implements StreamSink {
        @Override
        public void onStart(StreamStart start) {
            sink.onStart(start);
        }

        @Override
        public void onEvent(StreamEvent event) {
            sink.onEvent(event);
            safely(() -> {
                switch (event) {
                    case StreamEvent.Content c -> stream.token(StreamVisualizer.Kind.CONTENT, c.choice(), c.text(),
                            c.logprobs());
                    case StreamEvent.Reasoning r -> stream.token(StreamVisualizer.Kind.REASONING, r.choice(), r.text(),
                            null);
                    case StreamEvent.ToolCall t -> stream.token(StreamVisualizer.Kind.TOOL_CALL, t.choice(),
                            (t.name() == null ? "" : t.name()) + (t.arguments() == null ? "" : t.arguments()), null);
                    case StreamEvent.Finish f -> stream.finish(f.choice(), f.reason());
                    case StreamEvent.Role r -> {
                    }
                    case StreamEvent.Usage u -> {
                    }
                    case StreamEvent.Failure f -> {
                    } // onFailure follows with the whole story
                }
            });
        }

        @Override
        public void onEnd() {
            sink.onEnd();
            safely(stream::ended);
        }

        @Override
        public void onFailure(UpstreamException failure) {
            sink.onFailure(failure);
            safely(() -> stream.failed(failure.getMessage()));
        }
    }
}
