package org.neuralpipeline.upstream;

import io.vertx.core.Future;
import java.util.List;
import org.neuralpipeline.openai.ChatRequest;

/**
 * A model server behind the gateway: an OpenAI-compatible HTTP server (LM Studio, Ollama, llama.cpp,
 * vLLM) or the built-in model. Chat completions are always streamed from the upstream and normalised
 * into {@link org.neuralpipeline.openai.StreamEvent}s; the gateway aggregates them for clients that did
 * not ask for a stream, so both paths see the same normalisation.
 *
 * <p>Threading: call from a Vert.x context (the gateway calls from the request's event loop); the sink
 * is called on that same context. Implementations never block.
 */
public interface Upstream {

    /** The configured name ("lmstudio", "builtin"…), used in logs, metrics and {@code /v1/models}. */
    String name();

    /** The models this upstream serves: configured, else discovered (e.g. {@code GET /v1/models}). */
    Future<List<String>> models();

    /**
     * The models the configuration says this upstream serves, known without asking it; empty when they are
     * discovered. The catalogue lists them even while the upstream is unreachable, so a request for one is
     * tried (and fails as unreachable or timed out) rather than refused as an unknown model.
     */
    default List<String> configuredModels() {
        return List.of();
    }

    /**
     * Starts a streaming chat completion. Exactly one of {@link StreamSink#onEnd} and
     * {@link StreamSink#onFailure} is called last, unless the call is cancelled first.
     */
    UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink);

    /**
     * Forwards a request the gateway does not interpret ({@code /v1/completions}, {@code /v1/embeddings})
     * and returns the upstream's response to pipe back. Fails with {@link UpstreamException.Kind#UNSUPPORTED}
     * when this upstream cannot serve that path.
     */
    Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context);

    /** Releases connections and timers. */
    Future<Void> close();
}
