package org.neuralpipeline.config;

import java.util.List;

/**
 * Who may call the gateway. {@link #toString()} masks the keys, so a logged config never shows them.
 *
 * @param apiKeys                    keys a client must present as {@code Authorization: Bearer <key>};
 *                                   empty means no authentication (fine on 127.0.0.1). Secrets.
 * @param forwardClientAuthorization pass the client's own {@code Authorization} header to the upstream
 *                                   instead of the upstream's {@code api_key}; not allowed together
 *                                   with {@code apiKeys}, since the client's header then holds one of our keys
 */
public record AuthConfig(List<String> apiKeys, boolean forwardClientAuthorization) {
    public static final boolean DEFAULT_FORWARD_CLIENT_AUTHORIZATION = false;
    public static final AuthConfig DEFAULTS = new AuthConfig(List.of(), DEFAULT_FORWARD_CLIENT_AUTHORIZATION);

    /** How a secret is shown; the same text as {@code observability.Redaction.MASK} (a test keeps them equal). */
    static final String MASK = "****";

    public AuthConfig {
        if (apiKeys == null) {
            throw new ConfigException("auth.api_keys", null, "a list of keys (empty: no authentication)");
        }
        for (int i = 0; i < apiKeys.size(); i++) {
            String key = apiKeys.get(i);
            if (key == null || key.isEmpty() || key.chars().anyMatch(c -> Character.isWhitespace(c) || c == ',')) {
                // never echo a secret, not even a malformed one
                throw new ConfigException("auth.api_keys[" + i + "]", key == null || key.isEmpty() ? key : MASK,
                        "a key without spaces or commas");
            }
        }
        apiKeys = List.copyOf(apiKeys);
        if (forwardClientAuthorization && !apiKeys.isEmpty()) {
            throw new ConfigException("auth.forward_client_authorization", true,
                    "false while auth.api_keys is set: clients then send one of our keys, which must not reach upstreams");
        }
    }

    /** Whether clients must present a key. */
    public boolean required() {
        return !apiKeys.isEmpty();
    }

    @Override
    public String toString() {
        return "AuthConfig[apiKeys=" + apiKeys.size() + " (masked), forwardClientAuthorization="
                + forwardClientAuthorization + "]";
    }
}
