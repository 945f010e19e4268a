package org.neuralpipeline.app;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Viewers see every token of every chat, so when clients need a key ({@code auth.api_keys}) viewers do too: as
 * {@code Authorization: Bearer <key>} or, for browsers' WebSocket and EventSource (which cannot set headers),
 * {@code ?access_token=<key>}. Constant-time comparison.
 */
final class ViewerKey {
    private final List<byte[]> accepted;

    ViewerKey(List<String> keys) {
        this.accepted = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    boolean admits(HttpServerRequest request) {
        if (accepted.isEmpty()) {
            return true;
        }
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).strip() : request.getParam("access_token");
        if (presented == null) {
            return false;
        }
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : accepted) {
            match |= MessageDigest.isEqual(key, bytes);
        }
        return match;
    }

    /** 401 in OpenAI's error shape. */
    void refuse(HttpServerResponse response) {
        HttpErrors.send(response, 401, "invalid_request_error", "invalid_api_key",
                "Viewers need an API key: Authorization: Bearer <key>, or ?access_token=<key>");
    }
}
