package org.neuralpipeline.observability;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.MDC;

/**
 * Request (correlation) ids: taken from an incoming {@code X-Request-ID} when it is safe to echo,
 * otherwise generated; put in the logging MDC under {@code request_id}; sent to upstreams in the same
 * header. Vert.x runs many requests on one event-loop thread, so the MDC is set around each callback
 * ({@link #run}) rather than once per request.
 */
public final class CorrelationId {
    public static final String HEADER = "X-Request-ID";
    public static final String MDC_KEY = "request_id";
    /** Longest incoming id we accept; longer ones are replaced, not truncated (truncation breaks joins). */
    public static final int MAX_LENGTH = 128;

    private static final HexFormat HEX = HexFormat.of();

    private CorrelationId() {
    }

    /** The incoming id when it is 1-128 visible ASCII characters without quotes or backslashes, else a new one. */
    public static String fromHeader(String incoming) {
        return isAcceptable(incoming) ? incoming : generate();
    }

    /** 128 random bits as 32 lowercase hex digits. */
    public static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong());
    }

    static boolean isAcceptable(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            // visible ASCII only: no control characters (log injection), no quotes or backslashes (JSON, shells)
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** Runs {@code action} with {@code id} in the MDC, restoring whatever was there before. */
    public static void run(String id, Runnable action) {
        String previous = MDC.get(MDC_KEY);
        MDC.put(MDC_KEY, id);
        try {
            action.run();
        } finally {
            if (previous == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previous);
            }
        }
    }
}
