package org.neuralpipeline.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The canonical model of one streamed chat completion, whatever server produced it. Every upstream
 * dialect (LM Studio, Ollama old and new, llama.cpp, vLLM, the built-in model) is normalised into these
 * events; the same events feed the client's SSE writer, the non-streaming aggregator, the metrics and the
 * broadcast hub. {@code choice} is the OpenAI choice index ({@code n > 1} interleaves choices).
 *
 * <p>Order for one choice: {@link Role} once, then any mix of {@link Content}, {@link Reasoning} and
 * {@link ToolCall}, then {@link Finish} once; {@link Usage} after every choice finished; {@link Failure}
 * may end the stream at any point instead.
 */
public sealed interface StreamEvent {

    /** The assistant's role, announced once per choice before anything else. */
    record Role(int choice, String role) implements StreamEvent {
        public Role {
            Objects.requireNonNull(role, "role");
        }
    }

    /**
     * A fragment of the answer.
     *
     * @param logprobs the upstream's {@code choices[i].logprobs} object for exactly this fragment, passed
     *     through unchanged; {@code null} when the upstream gave none (never synthesised)
     */
    record Content(int choice, String text, JsonNode logprobs) implements StreamEvent {
        public Content {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * A fragment of the model's reasoning ("thinking"). Chat Completions has no standard field for it;
     * {@code field} keeps the name the upstream used ({@code reasoning_content} or {@code reasoning}) so
     * that it is passed through unchanged.
     */
    record Reasoning(int choice, String text, String field) implements StreamEvent {
        public Reasoning {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(field, "field");
        }
    }

    /**
     * A tool-call delta. The first delta of a call carries {@code id}, {@code type} and {@code name}
     * (and usually empty arguments); later ones carry only {@code index} and an arguments fragment.
     */
    record ToolCall(int choice, int index, String id, String type, String name, String arguments)
            implements StreamEvent {
    }

    /** The choice is complete: {@code stop}, {@code length}, {@code tool_calls} or {@code content_filter}. */
    record Finish(int choice, String reason) implements StreamEvent {
        public Finish {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Token accounting, passed through as the upstream reported it ({@code prompt_tokens} etc.). */
    record Usage(JsonNode usage) implements StreamEvent {
        public Usage {
            Objects.requireNonNull(usage, "usage");
        }
    }

    /** The upstream reported an error inside the stream (an {@code error} object in a data event). */
    record Failure(String message, String type, String code) implements StreamEvent {
        public Failure {
            Objects.requireNonNull(message, "message");
        }
    }
}
