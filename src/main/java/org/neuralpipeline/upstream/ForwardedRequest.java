package org.neuralpipeline.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/** A request passed through without interpretation: method, path under {@code /v1}, headers to keep, body. */
public record ForwardedRequest(HttpMethod method, String path, MultiMap headers, Buffer body) {
}
