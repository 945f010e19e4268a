package org.neuralpipeline.upstream;

import java.util.Map;
import java.util.Objects;

/**
 * What an upstream call needs to know about the client request besides its body.
 *
 * @param requestId the correlation id, sent upstream as {@code X-Request-ID}
 * @param extraHeaders headers to add to the upstream request (for example the client's Authorization
 *     when configured to forward it); never logged unredacted
 */
public record CallContext(String requestId, Map<String, String> extraHeaders) {
    public CallContext {
        Objects.requireNonNull(requestId, "requestId");
        extraHeaders = Map.copyOf(extraHeaders);
    }

    public static CallContext of(String requestId) {
        return new CallContext(requestId, Map.of());
    }
}
