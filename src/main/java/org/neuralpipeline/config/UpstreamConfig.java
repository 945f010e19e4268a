package org.neuralpipeline.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One OpenAI-compatible model server behind the gateway (LM Studio, Ollama, llama.cpp, vLLM, …).
 *
 * <p>{@link #toString()} masks {@code apiKey}, so a logged config never shows it.
 *
 * @param name         how clients and metrics refer to it: 1-32 of {@code a-z 0-9 _ -}, starting with a letter
 *                     or digit, unique, not {@code builtin}
 * @param url          the OpenAI base URL, e.g. {@code http://127.0.0.1:1234/v1}; absolute http or https,
 *                     no credentials, query or fragment; a trailing slash is removed
 * @param apiKeyEnv    name of the environment variable that holds the key, or null
 * @param apiKey       the key read from {@code apiKeyEnv} at load time, or null when there is none; a secret
 * @param models       models this upstream serves; empty means ask it ({@code GET /models})
 * @param includeUsage whether to ask the upstream for a usage chunk ({@code stream_options.include_usage})
 */
public record UpstreamConfig(String name, URI url, String apiKeyEnv, String apiKey, List<String> models,
        boolean includeUsage) {
    public static final boolean DEFAULT_INCLUDE_USAGE = true;
    /** The name of the built-in model, which no configured upstream may take. */
    public static final String BUILTIN_NAME = "builtin";

    static final String NAME_EXPECTED = "1-32 characters of a-z, 0-9, _ and -, starting with a letter or digit";
    static final String URL_EXPECTED = "an absolute http:// or https:// URL";
    static final String API_KEY_ENV_EXPECTED = "the name of an environment variable, such as LMSTUDIO_API_KEY";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern CREDENTIALS = Pattern.compile("//[^/@]*@");

    public UpstreamConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException("upstream.name", name, NAME_EXPECTED);
        }
        if (name.equals(BUILTIN_NAME)) {
            throw new ConfigException("upstream.name", name, "a name other than builtin, which is the built-in model");
        }
        url = checkUrl(url);
        if (apiKeyEnv != null && !ENV_NAME.matcher(apiKeyEnv).matches()) {
            throw new ConfigException("upstream.api_key_env", apiKeyEnv, API_KEY_ENV_EXPECTED);
        }
        if (apiKey != null && apiKey.isEmpty()) {
            apiKey = null;
        }
        if (models == null) {
            throw new ConfigException("upstream.models", null, "a list of model ids (empty: ask the upstream)");
        }
        for (int i = 0; i < models.size(); i++) {
            String model = models.get(i);
            if (model == null || model.isBlank()) {
                throw new ConfigException("upstream.models[" + i + "]", model, "a model id");
            }
        }
        models = List.copyOf(models);
    }

    /** An upstream with the defaults: no key, models discovered, usage requested. */
    public static UpstreamConfig of(String name, URI url) {
        return new UpstreamConfig(name, url, null, null, List.of(), DEFAULT_INCLUDE_USAGE);
    }

    /** Reads the text of a URL, reporting a malformed one under {@code key}. */
    static URI parseUrl(String key, String text) {
        try {
            return new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new ConfigException(key, maskCredentials(text), URL_EXPECTED);
        }
    }

    /** The text with any {@code user:password@} of a URL in it replaced by {@code ****@}. */
    static String maskCredentials(String text) {
        return CREDENTIALS.matcher(text).replaceAll("//" + AuthConfig.MASK + "@");
    }

    private static URI checkUrl(URI url) {
        if (url == null || !url.isAbsolute() || url.getHost() == null
                || !List.of("http", "https").contains(url.getScheme().toLowerCase(Locale.ROOT))) {
            throw new ConfigException("upstream.url", url == null ? null : maskCredentials(url.toString()), URL_EXPECTED);
        }
        if (url.getRawUserInfo() != null) {
            throw new ConfigException("upstream.url", maskCredentials(url.toString()),
                    "a URL without user:password@; put the key in an environment variable named by api_key_env");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new ConfigException("upstream.url", url, "a base URL without ?query or #fragment");
        }
        String text = url.toString();
        if (!text.endsWith("/")) {
            return url;
        }
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '/') {
            end--;
        }
        return URI.create(text.substring(0, end));
    }

    @Override
    public String toString() {
        return "UpstreamConfig[name=" + name + ", url=" + url + ", apiKeyEnv=" + apiKeyEnv
                + ", apiKey=" + (apiKey == null ? "null" : AuthConfig.MASK) + ", models=" + models
                + ", includeUsage=" + includeUsage + "]";
    }
}
