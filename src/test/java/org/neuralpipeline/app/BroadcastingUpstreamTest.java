package org.neuralpipeline.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.broadcast.BroadcastMessage;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.openai.ChatRequest;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.testing.ManualClock;
import org.neuralpipeline.upstream.CallContext;
import org.neuralpipeline.upstream.ForwardedRequest;
import org.neuralpipeline.upstream.ForwardedResponse;
import org.neuralpipeline.upstream.StreamSink;
import org.neuralpipeline.upstream.Upstream;
import org.neuralpipeline.upstream.UpstreamCall;
import org.neuralpipeline.upstream.UpstreamException;
import org.neuralpipeline.visual.Visualizer;

class BroadcastingUpstreamTest {
    private static final ChatRequest REQUEST = ChatRequest.parse(
            "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(UTF_8));

    private final ManualClock clock = new ManualClock();
    private final List<BroadcastMessage> published = new ArrayList<>();
    private final Visualizer visualizer = new Visualizer(m -> {
        published.add(m);
        return published.size();
    }, BroadcastConfig.DEFAULTS, clock, clock::nanoTime);
    private final List<String> sinkSaw = new ArrayList<>();
    private final StreamSink gatewaySink = new StreamSink() {
        @Override
        public void onEvent(StreamEvent event) {
            sinkSaw.add(event.getClass().getSimpleName());
        }

        @Override
        public void onEnd() {
            sinkSaw.add("end");
        }

        @Override
        public void onFailure(UpstreamException failure) {
            sinkSaw.add("failure");
        }
    };

    /** An upstream that plays a script into the sink as soon as it is called. */
    private record Scripted(List<StreamEvent> events, UpstreamException failure, boolean ends) implements Upstream {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public Future<List<String>> models() {
            return Future.succeededFuture(List.of("m"));
        }

        @Override
        public UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink) {
            events.forEach(sink::onEvent);
            if (failure != null) {
                sink.onFailure(failure);
            } else if (ends) {
                sink.onEnd();
            }
            return () -> {
            };
        }

        @Override
        public Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context) {
            return Future.failedFuture("no");
        }

        @Override
        public Future<Void> close() {
            return Future.succeededFuture();
        }
    }

    @Test
    void anAttemptThatFailsBeforeItsFirstTokenPublishesNothing() {
        Upstream refusing = new BroadcastingUpstream(new Scripted(List.of(),
                UpstreamException.of(UpstreamException.Kind.REFUSED, "refused", false), false), visualizer);
        refusing.streamChat(REQUEST, CallContext.of("req-1"), gatewaySink);
        assertThat(sinkSaw).containsExactly("failure");
        assertThat(published).isEmpty();
    }

    @Test
    void theGatewaySeesEveryEventAndViewersSeeTheStream() {
        Upstream answering = new BroadcastingUpstream(new Scripted(List.of(new StreamEvent.Role(0, "assistant"),
                new StreamEvent.Content(0, "Hel", null), new StreamEvent.Content(0, "lo", null),
                new StreamEvent.Finish(0, "stop")), null, true), visualizer);
        answering.streamChat(REQUEST, CallContext.of("req-2"), gatewaySink);
        assertThat(sinkSaw).containsExactly("Role", "Content", "Content", "Finish", "end");
        assertThat(published).extracting(BroadcastMessage::type).containsExactly("StreamStarted",
                "TokenVisualizationUpdate", "TokenVisualizationUpdate", "NeuralStateUpdate", "StreamEnded");
        assertThat(published).extracting(BroadcastMessage::requestId).containsOnly("req-2");
        assertThat(published).extracting(BroadcastMessage::model).containsOnly("m");
    }

    @Test
    void aCancelledStreamEndsAsCancelled() {
        Upstream stalling = new BroadcastingUpstream(new Scripted(List.of(new StreamEvent.Content(0, "a", null)),
                null, false), visualizer);
        UpstreamCall call = stalling.streamChat(REQUEST, CallContext.of("req-3"), gatewaySink);
        call.cancel(); // the client left: no sink callback follows, the cancel itself ends the broadcast
        call.cancel();
        assertThat(published).extracting(BroadcastMessage::type).containsExactly("StreamStarted",
                "TokenVisualizationUpdate", "NeuralStateUpdate", "StreamEnded");
        assertThat(published.getLast().toString()).contains("outcome=cancelled");
    }

    @Test
    void aBroadcastFailureNeverReachesTheRelay() {
        Visualizer failing = new Visualizer(m -> {
            throw new IllegalStateException("boom");
        }, BroadcastConfig.DEFAULTS, clock, clock::nanoTime);
        Upstream upstream = new BroadcastingUpstream(new Scripted(List.of(new StreamEvent.Content(0, "a", null)), null,
                true), failing);
        upstream.streamChat(REQUEST, CallContext.of("req-4"), gatewaySink);
        assertThat(sinkSaw).containsExactly("Content", "end");
    }
}
