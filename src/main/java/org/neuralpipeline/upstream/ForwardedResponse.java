package org.neuralpipeline.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * An upstream's response to a forwarded request; the body is read as it arrives (streams stay streams).
 *
 * @param call cancels the upstream request (for example when the client went away before the end of the body);
 *     call on the context that forwarded the request
 */
public record ForwardedResponse(int status, MultiMap headers, ReadStream<Buffer> body, UpstreamCall call) {
}
