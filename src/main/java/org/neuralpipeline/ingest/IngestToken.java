package org.neuralpipeline.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The ingest token check: constant time, so the token does not leak by timing. */
final class IngestToken {
    private final byte[] token;

    IngestToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    boolean required() {
        return token.length > 0;
    }

    boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code Authorization: Bearer <token>}. */
    boolean matchesHeader(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                && matches(authorization.substring(7).strip());
    }
}
