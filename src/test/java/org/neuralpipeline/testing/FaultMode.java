package org.neuralpipeline.testing;

/**
 * How a {@link FakeModelServer} misbehaves. Set one for every later request with {@link
 * FakeModelServer#fault(FaultMode)} or for one response with {@link Script#fault(FaultMode)} (the server's
 * fault wins). "First token" below means the first write of the script whose text holds a non-empty
 * {@code content}, {@code reasoning_content}, {@code reasoning}, {@code arguments} or {@code text} string (the
 * first write when none does).
 */
public enum FaultMode {
    /**
     * Nothing listens: as a server fault the listening socket is closed (connections are refused; the port is
     * kept and {@code fault(null)} listens again); as a script fault the connection is closed as soon as the
     * request arrived, before any response byte.
     */
    REFUSE,
    /** The request is read and recorded, then nothing is ever sent; the connection stays open. */
    STALL_BEFORE_HEADERS,
    /** Headers and the writes up to the first token are sent, then nothing; the connection stays open. */
    STALL_AFTER_FIRST_TOKEN,
    /** Headers and the writes up to the first token are sent, then the TCP connection is closed mid-response. */
    DISCONNECT_MID_STREAM,
    /** HTTP 500 with an OpenAI-shaped JSON error body, instead of the script. */
    HTTP_500,
    /** HTTP 429 with {@code Retry-After: 7} and an OpenAI-shaped {@code rate_limit_exceeded} body. */
    HTTP_429_WITH_RETRY_AFTER,
    /** After the first token, one data event with truncated JSON ({@link Script#MALFORMED_EVENT}), then the rest. */
    MALFORMED_CHUNK,
    /** Every {@code data: [DONE]} event is left out; the response still ends cleanly. */
    NO_DONE,
    /**
     * Every write that contains a multi-byte UTF-8 character is cut inside its first one and sent as two TCP
     * writes, {@link Script#SPLIT_PAUSE} apart. A script without such a character fails loudly.
     */
    SPLIT_MULTIBYTE,
    /** A comment {@code : keep-alive} event is written before every write of the script. */
    KEEPALIVE_COMMENTS
}
