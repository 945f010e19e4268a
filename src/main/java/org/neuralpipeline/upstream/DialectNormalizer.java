package org.neuralpipeline.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.openai.StreamEvent;

/**
 * Turns the data payloads of one upstream chat stream, whatever server dialect wrote them, into the canonical
 * {@link StreamEvent} sequence: per choice one {@link StreamEvent.Role}, then content, reasoning and tool-call
 * deltas, then exactly one {@link StreamEvent.Finish}; one {@link StreamEvent.Usage} at the end.
 *
 * <h2>How this works and why</h2>
 *
 * <p>The normaliser reads only the fields it knows and builds events from them, so every quirk is handled by
 * construction rather than by special cases per server (see docs/UPSTREAMS.md for the table):
 * <ul>
 *   <li><b>Role</b> is remembered, not emitted, until the choice produces its first real event. A role
 *       repeated on every chunk (Ollama before 0.32.6), empty role re-sends and llama.cpp's {@code content:
 *       null} role chunk therefore yield exactly one Role, and a stream that dies after its role chunk has
 *       delivered nothing, which keeps failover possible.</li>
 *   <li><b>Content</b>: {@code null}, {@code ""} and absent all mean "no text". An empty Content is emitted
 *       only to carry a logprobs object that no other Content of that chunk carries (llama.cpp puts them on
 *       the last delta of a partial result; Ollama on the reasoning chunk).</li>
 *   <li><b>Finish</b> is emitted after the chunk's deltas, whether the upstream sent it on its own chunk
 *       (OpenAI) or on the last content chunk (vLLM, old Ollama). Precedence follows OpenAI's behaviour as
 *       Ollama documents it: {@code length} &gt; {@code tool_calls} (when the choice made a tool call) &gt;
 *       the upstream's reason &gt; {@code stop}; so a truncated tool call stays {@code length}. The
 *       deprecated {@code function_call} reason becomes {@code tool_calls}. A second finish reason for a
 *       choice, and any delta after it, is dropped.</li>
 *   <li><b>Reasoning</b> from {@code reasoning_content} (vLLM, llama.cpp, DeepSeek) or {@code reasoning}
 *       (Ollama, LM Studio) keeps its field name; when both carry the same text only the first is kept.</li>
 *   <li><b>Tool calls</b>: the first delta of a call (per choice and call index) keeps {@code id}, {@code type}
 *       (default {@code "function"}) and {@code name}; later deltas are reduced to index + arguments and
 *       dropped when the fragment is empty, so the concatenated arguments equal the upstream's. Arguments
 *       sent as a JSON object instead of a string are serialised. The deprecated {@code delta.function_call}
 *       becomes tool call index 0 (no id: none exists upstream); a {@code custom} tool call's {@code name}
 *       and {@code input} become name and arguments, its type stays {@code "custom"}.</li>
 *   <li><b>Usage</b>: the last non-null {@code usage} object wins and is emitted once, by {@link #finish()}:
 *       the standard usage chunk ({@code choices: []}) and vLLM's {@code continuous_usage_stats} (usage on
 *       every chunk) both end up as one Usage after every Finish.</li>
 *   <li><b>Metadata</b> ({@link StreamSink.StreamStart}) comes from the first chunk; llama.cpp's per-chunk
 *       {@code created} is pinned to the first value; fields missing from the first chunk are taken from the
 *       next chunks until the start is delivered, just before the first event.</li>
 *   <li><b>Errors</b>: an {@code error} member (OpenAI, vLLM, llama.cpp) or vLLM's older top-level
 *       {@code {"object":"error","message":…}} becomes a {@link StreamEvent.Failure} and {@link Step#FAILED}.</li>
 *   <li><b>Ignored</b>: llama.cpp prompt-progress chunks ({@code prompt_progress}), blank data events and
 *       {@code [DONE]}'s successors.</li>
 * </ul>
 *
 * <p><b>Dropped on purpose</b> (explicit policy, checklist item 10): non-standard and transport fields that
 * the canonical model has no place for — {@code timings}, {@code prompt_progress}, {@code __verbose}
 * (llama.cpp), {@code stop_reason}, {@code prompt_token_ids}, {@code token_ids} (vLLM), {@code obfuscation},
 * {@code service_tier}, {@code moderation} and {@code delta.refusal} (OpenAI; no canonical event for refusals
 * yet, and local servers do not send them). The reasoning fields are not
 * dropped: they are passed through under their own name.
 *
 * <p><b>Reading.</b> The chunk nearly every token arrives in (one choice, a role and content string, no
 * logprobs) is read straight from the JSON tokens by {@link ContentChunk}; anything else is read as a tree.
 * Both end in the same rules ({@code acceptDelta}), and a test and a fuzz test check that the fast path gives
 * exactly what the tree reader gives.
 *
 * <p>Not thread-safe: one normaliser per stream, fed from that stream's event loop (or a unit test).
 */
final class DialectNormalizer {

    /** What a data payload meant for the stream as a whole. */
    enum Step {
        /** Keep reading. */
        CONTINUE,
        /** {@code [DONE]}: the upstream says the stream is over. */
        DONE,
        /** The payload was an error; a {@link StreamEvent.Failure} was emitted ({@link #failure()}). */
        FAILED
    }

    private static final String DONE_MARKER = "[DONE]";

    private final String upstream;
    private final StreamSink sink;
    private final Map<Integer, Choice> choices = new TreeMap<>();

    private int dataEvents;
    private boolean done;
    private boolean startDelivered;
    private String id;
    private long created;
    private String model;
    private String fingerprint;
    private JsonNode usage;
    private boolean delivered;
    private StreamEvent.Failure failure;
    /** The fast path for the common chunk shape; null when switched off (tests compare both paths). */
    private final ContentChunk contentChunk;
    private int fastPathChunks;

    /** @param upstream the upstream's name, for messages */
    DialectNormalizer(String upstream, StreamSink sink) {
        this(upstream, sink, true);
    }

    /** @param fastPath whether plain content chunks are read by {@link ContentChunk} rather than as a tree */
    DialectNormalizer(String upstream, StreamSink sink, boolean fastPath) {
        this.upstream = upstream;
        this.sink = sink;
        this.contentChunk = fastPath ? new ContentChunk() : null;
    }

    /**
     * One SSE {@code data} payload.
     *
     * @throws UpstreamException {@link UpstreamException.Kind#PROTOCOL} when it is neither {@code [DONE]} nor a
     *     JSON object; the message names the data event (1-based)
     */
    Step accept(String data) {
        dataEvents++;
        if (done) {
            return Step.DONE;
        }
        if (data.startsWith(DONE_MARKER)) {
            done = true;
            return Step.DONE;
        }
        if (data.isBlank()) {
            return Step.CONTINUE;
        }
        if (contentChunk != null && contentChunk.read(data, !startDelivered)) {
            fastPathChunks++;
            acceptContentChunk(contentChunk);
            return Step.CONTINUE;
        }
        return acceptChunk(parse(data, "data event " + dataEvents));
    }

    /**
     * An SSE event of type {@code error} (the OpenAI SDK raises on those), or the value of a legacy llama.cpp
     * {@code error:} line: whatever it says is a failure. The value may be an {@code {"error":…}} wrapper, the
     * error object itself ({@code {"code","message","type"}}), or plain text.
     */
    Step acceptErrorEvent(String data) {
        dataEvents++;
        JsonNode node = tryParse(data);
        if (node != null && node.isObject() && (isError(node) || node.has("message"))) {
            return fail(node);
        }
        return fail(bounded(data.strip()), null, null);
    }

    /** A parsed {@code chat.completion.chunk} (or an error object). */
    Step acceptChunk(JsonNode chunk) {
        if (done) {
            return Step.DONE;
        }
        if (!chunk.isObject()) {
            throw protocol("data event " + dataEvents + " is not a JSON object");
        }
        if (isError(chunk)) {
            return fail(chunk);
        }
        noteMetadata(chunk);
        if (chunk.has("prompt_progress")) {
            return Step.CONTINUE; // llama.cpp return_progress: prompt processing, no output
        }
        JsonNode u = chunk.get("usage");
        if (u != null && u.isObject()) {
            usage = u; // continuous_usage_stats: the last one is the total
        }
        JsonNode list = chunk.get("choices");
        if (list != null && list.isArray()) {
            for (int i = 0; i < list.size(); i++) {
                JsonNode c = list.get(i);
                if (c.isObject()) {
                    acceptChoice(c, i);
                }
            }
        }
        return Step.CONTINUE;
    }

    /**
     * A whole {@code chat.completion} (a server that ignored {@code stream: true} and answered with JSON):
     * each choice's {@code message} is read as one delta, so the same rules apply. Follow with {@link
     * #complete()} and {@link #finish()} as for a stream.
     */
    Step acceptCompletion(JsonNode completion) {
        dataEvents++;
        Step step = acceptChunk(completion);
        if (step == Step.CONTINUE) {
            done = true;
            return Step.DONE;
        }
        return step;
    }

    /** Parses a whole JSON body; @throws UpstreamException PROTOCOL naming {@code what} */
    JsonNode parse(String json, String what) {
        try {
            JsonNode node = OpenAiJson.MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw protocol(what + " is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw protocol(what + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /** True when at least one choice started and every started choice has finished (checklist item 19). */
    boolean complete() {
        if (choices.isEmpty()) {
            return false;
        }
        for (Choice c : choices.values()) {
            if (!c.finished) {
                return false;
            }
        }
        return true;
    }

    /** Why {@link #complete()} is false, for the TRUNCATED message. */
    String incompleteReason() {
        if (choices.isEmpty()) {
            return "no choice started";
        }
        StringBuilder unfinished = new StringBuilder();
        choices.forEach((index, c) -> {
            if (!c.finished) {
                unfinished.append(unfinished.isEmpty() ? "" : ", ").append(index);
            }
        });
        return "no finish_reason for choice " + unfinished;
    }

    /** Ends a complete stream: emits the usage, if the upstream reported any. Call once, after {@link #complete()}. */
    void finish() {
        if (usage != null) {
            emit(new StreamEvent.Usage(usage));
            usage = null;
        }
    }

    /** Whether any event reached the sink before a failure (an emitted {@link StreamEvent.Failure} does not count). */
    boolean delivered() {
        return delivered;
    }

    /** The failure emitted for {@link Step#FAILED}, else null. */
    StreamEvent.Failure failure() {
        return failure;
    }

    /** How many chunks the {@link ContentChunk} fast path read (tests: the common shapes take it). */
    int fastPathChunks() {
        return fastPathChunks;
    }

    /** How many data payloads were seen, counting {@code [DONE]}. */
    int dataEvents() {
        return dataEvents;
    }

    private void acceptChoice(JsonNode c, int position) {
        int index = intOr(c.get("index"), position);
        JsonNode delta = c.get("delta");
        if (delta == null || !delta.isObject()) {
            delta = c.get("message"); // a non-streamed chat.completion
        }
        JsonNode logprobs = nonNull(c.get("logprobs"));
        String reason = text(c.get("finish_reason"));
        if (delta == null || !delta.isObject()) {
            acceptDelta(index, null, null, null, null, logprobs, null, null, reason);
            return;
        }
        acceptDelta(index, text(delta.get("role")), text(delta.get("reasoning_content")),
                text(delta.get("reasoning")), text(delta.get("content")), logprobs, delta.get("tool_calls"),
                delta.get("function_call"), reason);
    }

    /** One choice's delta of a chunk that {@link ContentChunk} read: role, content and finish reason only. */
    private void acceptContentChunk(ContentChunk chunk) {
        noteMetadata(chunk.id, chunk.created, chunk.model, chunk.fingerprint);
        if (chunk.hasChoice()) {
            acceptDelta(chunk.index, chunk.role, null, null, chunk.content, null, null, null, chunk.finishReason);
        }
    }

    /**
     * The rules for one choice's part of a chunk; its strings are already "none"-normalised ({@link #text}).
     * Both the tree reader and the {@link ContentChunk} fast path end here, so they cannot disagree.
     */
    private void acceptDelta(int index, String role, String reasoningContent, String reasoning, String content,
            JsonNode logprobs, JsonNode toolCalls, JsonNode functionCall, String reason) {
        Choice st = choices.computeIfAbsent(index, k -> new Choice());
        if (st.finished) {
            return; // one Finish per choice; nothing may follow it
        }
        boolean logprobsCarried = false;
        if (role != null && st.role == null) {
            st.role = role;
        }
        if (reasoningContent != null) {
            emit(index, st, new StreamEvent.Reasoning(index, reasoningContent, "reasoning_content"));
        }
        if (reasoning != null && !reasoning.equals(reasoningContent)) {
            emit(index, st, new StreamEvent.Reasoning(index, reasoning, "reasoning"));
        }
        if (content != null) {
            emit(index, st, new StreamEvent.Content(index, content, logprobs));
            logprobsCarried = true;
        }
        if (toolCalls != null && toolCalls.isArray()) {
            for (int i = 0; i < toolCalls.size(); i++) {
                JsonNode call = toolCalls.get(i);
                if (call.isObject()) {
                    JsonNode function = call.get("function");
                    if (function == null || !function.isObject()) {
                        function = call.get("custom"); // type "custom": {name, input}
                    }
                    int callIndex = intOr(call.get("index"), i);
                    toolCall(index, st, callIndex < 0 ? i : callIndex, text(call.get("id")),
                            text(call.get("type")), function);
                }
            }
        }
        if (functionCall != null && functionCall.isObject()) {
            toolCall(index, st, 0, null, null, functionCall);
        }
        if (!logprobsCarried && carriesTokens(logprobs)) {
            emit(index, st, new StreamEvent.Content(index, "", logprobs));
        }
        if (reason != null) {
            String canonical;
            if (reason.equals("length")) {
                canonical = "length";
            } else if (st.madeToolCall || reason.equals("function_call")) {
                canonical = "tool_calls";
            } else {
                canonical = reason;
            }
            emit(index, st, new StreamEvent.Finish(index, canonical));
            st.finished = true;
        }
    }

    private void toolCall(int choice, Choice st, int callIndex, String callId, String type, JsonNode function) {
        String name = null;
        String arguments = null;
        if (function != null && function.isObject()) {
            name = text(function.get("name"));
            JsonNode args = function.has("arguments") ? function.get("arguments") : function.get("input");
            if (args != null && args.isTextual()) {
                arguments = args.textValue();
            } else if (args != null && (args.isObject() || args.isArray())) {
                arguments = args.toString(); // some servers send the arguments as a JSON value
            }
        }
        st.madeToolCall = true;
        if (!st.callsOpened.get(callIndex)) {
            st.callsOpened.set(callIndex);
            emit(choice, st, new StreamEvent.ToolCall(choice, callIndex, callId, type == null ? "function" : type,
                    name, arguments));
        } else if (arguments != null && !arguments.isEmpty()) {
            emit(choice, st, new StreamEvent.ToolCall(choice, callIndex, null, null, null, arguments));
        }
    }

    private void emit(int choice, Choice st, StreamEvent event) {
        if (!st.roleSent) {
            st.roleSent = true;
            emit(new StreamEvent.Role(choice, st.role == null ? "assistant" : st.role));
        }
        emit(event);
    }

    private void emit(StreamEvent event) {
        deliverStart();
        delivered = true;
        sink.onEvent(event);
    }

    private void deliverStart() {
        if (!startDelivered) {
            startDelivered = true;
            sink.onStart(new StreamSink.StreamStart(id, created, model, fingerprint));
        }
    }

    private void noteMetadata(JsonNode chunk) {
        if (startDelivered) {
            return;
        }
        JsonNode c = chunk.get("created");
        noteMetadata(text(chunk.get("id")), c != null && c.canConvertToLong() ? c.longValue() : 0,
                text(chunk.get("model")), text(chunk.get("system_fingerprint")));
    }

    /** Fields missing so far are taken from this chunk, until the start is delivered; 0 is "no created". */
    private void noteMetadata(String chunkId, long chunkCreated, String chunkModel, String chunkFingerprint) {
        if (startDelivered) {
            return;
        }
        if (id == null) {
            id = chunkId;
        }
        if (created == 0) {
            created = chunkCreated;
        }
        if (model == null) {
            model = chunkModel;
        }
        if (fingerprint == null) {
            fingerprint = chunkFingerprint;
        }
    }

    private static boolean isError(JsonNode node) {
        JsonNode error = node.get("error");
        if (error != null && !error.isNull() && !(error.isBoolean() && !error.booleanValue())
                && !(error.isTextual() && error.textValue().isEmpty())) {
            return true;
        }
        return "error".equals(text(node.get("object")));
    }

    private Step fail(JsonNode node) {
        JsonNode error = node.get("error");
        if (error != null && error.isObject()) {
            return fail(textOr(error.get("message"), "upstream error"), text(error.get("type")),
                    text(error.get("code")));
        }
        if (error != null && error.isTextual()) {
            return fail(error.textValue(), null, null); // Ollama's native {"error":"…"}
        }
        // vLLM before its 2025 rework: {"object":"error","message":…,"type":…,"code":…}
        return fail(textOr(node.get("message"), "upstream error"), text(node.get("type")), text(node.get("code")));
    }

    private Step fail(String message, String type, String code) {
        failure = new StreamEvent.Failure(message, type, code);
        deliverStart();
        sink.onEvent(failure);
        done = true;
        return Step.FAILED;
    }

    private UpstreamException protocol(String message) {
        return UpstreamException.of(UpstreamException.Kind.PROTOCOL, "upstream '" + upstream + "': " + message,
                delivered);
    }

    private static JsonNode tryParse(String data) {
        try {
            return OpenAiJson.MAPPER.readTree(data);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static boolean carriesTokens(JsonNode logprobs) {
        if (logprobs == null) {
            return false;
        }
        if (!logprobs.isObject()) {
            return true; // an unknown shape: pass it on rather than lose it
        }
        for (JsonNode part : logprobs) {
            if (part.isArray() && !part.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode nonNull(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    /** A non-empty string value, else null ({@code null}, {@code ""}, absent and non-strings are all "none"). */
    private static String text(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue().isEmpty() ? null : node.textValue();
        }
        if (node.isNumber()) {
            return node.asText(); // llama.cpp error codes are numbers
        }
        return null;
    }

    private static String textOr(JsonNode node, String otherwise) {
        String t = text(node);
        return t == null ? otherwise : t;
    }

    private static int intOr(JsonNode node, int otherwise) {
        return node != null && node.canConvertToInt() && node.isIntegralNumber() ? node.intValue() : otherwise;
    }

    static String bounded(String text) {
        return text.length() <= 500 ? text : text.substring(0, 500) + "…";
    }

    private static final class Choice {
        String role;
        boolean roleSent;
        boolean finished;
        boolean madeToolCall;
        final BitSet callsOpened = new BitSet();
    }
}
