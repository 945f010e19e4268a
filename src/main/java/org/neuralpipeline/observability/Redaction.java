package org.neuralpipeline.observability;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Masks secrets before anything reaches a log line or {@code config print}: credentials in headers
 * (Authorization, cookies, API keys) and secret configuration values. Masking keeps the header name so
 * that a log still shows that a credential was present.
 */
public final class Redaction {
    public static final String MASK = "****";

    private static final Set<String> SENSITIVE_HEADERS = Set.of(
            "authorization", "proxy-authorization", "cookie", "set-cookie",
            "x-api-key", "api-key", "x-auth-token", "x-goog-api-key", "openai-api-key", "anthropic-api-key");

    private Redaction() {
    }

    /** True for well-known credential headers and for any header whose name mentions a key, token or secret. */
    public static boolean isSensitiveHeader(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return SENSITIVE_HEADERS.contains(n)
                || n.contains("api-key") || n.contains("apikey") || n.contains("token")
                || n.contains("secret") || n.contains("password") || n.contains("session");
    }

    /** The header's value, or {@link #MASK} when the header carries a credential. */
    public static String headerValue(String name, String value) {
        return isSensitiveHeader(name) ? MASK : value;
    }

    /** A copy of the headers, in order, safe to log. Repeated names are joined with ", ". */
    public static Map<String, String> headers(Iterable<? extends Map.Entry<String, String>> headers) {
        Map<String, String> safe = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            safe.merge(h.getKey(), headerValue(h.getKey(), h.getValue()), (a, b) -> a + ", " + b);
        }
        return safe;
    }

    /** A secret shown as present but unreadable: {@code ****} (empty stays empty, so "unset" is visible). */
    public static String secret(String value) {
        return value == null || value.isEmpty() ? "" : MASK;
    }
}
