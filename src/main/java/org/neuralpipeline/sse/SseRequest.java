package org.neuralpipeline.sse;

import io.vertx.core.http.HttpMethod;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What an {@link SseClient} fetches: method, URL, extra headers and an optional body.
 *
 * <p>The client adds {@code Accept: text/event-stream} and {@code Cache-Control: no-cache} unless these
 * headers name other values, and manages {@code Last-Event-ID}: a {@code Last-Event-ID} given here is
 * the starting last event ID (to resume a stream), sent on the first connection and replaced by the
 * stream's own IDs afterwards.
 *
 * <p>{@link #toString()} shows the header names only, never their values: they often carry credentials.
 *
 * @param method the HTTP method; GET carries no body
 * @param uri an absolute {@code http} or {@code https} URL
 * @param headers extra request headers; names are case-insensitive (the map's lookups too), later
 *     duplicates replace earlier ones; values must not contain control characters other than HTAB
 * @param body the request body, empty for none (copied in and out; {@code equals} compares contents)
 */
public record SseRequest(HttpMethod method, URI uri, Map<String, String> headers, byte[] body) {

    public SseRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        String scheme = uri.getScheme();
        if (!uri.isAbsolute() || uri.getHost() == null
                || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
            throw new IllegalArgumentException("url: \"" + uri + "\" (expected: an http:// or https:// URL)");
        }
        SortedMap<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, value) -> copy.put(checkName(name), checkValue(name, value)));
        headers = Collections.unmodifiableSortedMap(copy);
        if (body.length > 0 && (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))) {
            throw new IllegalArgumentException("body: " + body.length + " bytes (expected: none for " + method + ")");
        }
        body = body.clone();
    }

    /** A GET of {@code url}, the usual EventSource request. */
    public static SseRequest get(String url) {
        return new SseRequest(HttpMethod.GET, parseUrl(url), Map.of(), new byte[0]);
    }

    /** A POST of {@code body} (UTF-8) to {@code url}; add a {@code Content-Type} with {@link #withHeader}. */
    public static SseRequest post(String url, String body) {
        return new SseRequest(HttpMethod.POST, parseUrl(url), Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses an absolute http(s) URL, with the same message as the constructor when it is not one. */
    public static URI parseUrl(String url) {
        Objects.requireNonNull(url, "url");
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url: \"" + url + "\" (expected: an http:// or https:// URL)", e);
        }
    }

    /** This request with one more header (replacing one of the same name). */
    public SseRequest withHeader(String name, String value) {
        Map<String, String> more = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        more.putAll(headers);
        more.put(name, value);
        return new SseRequest(method, uri, more, body);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The body without a copy, for the client's one write. */
    byte[] bodyBytes() {
        return body;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SseRequest r && method.equals(r.method) && uri.equals(r.uri)
                && headers.equals(r.headers) && Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(method, uri, headers, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "SseRequest[" + method + " " + redactedUri(uri) + ", headers=" + headers.keySet()
                + ", body=" + body.length + " bytes]";
    }

    /**
     * scheme://host:port/path, without user info or query: both may carry credentials
     * ({@code ?api_key=…}), and this string goes into logs.
     */
    static String redactedUri(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + path;
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "header name");
        if (name.isEmpty() || !name.chars().allMatch(SseRequest::isTokenChar)) {
            throw new IllegalArgumentException("header name: \"" + name + "\" (expected: an HTTP token, "
                    + "letters, digits and !#$%&'*+-.^_`|~)");
        }
        return name;
    }

    private static String checkValue(String name, String value) {
        Objects.requireNonNull(value, name);
        if (!isHeaderSafe(value)) {
            // a CR or LF would let a value smuggle in another header; Vert.x refuses the other controls.
            // The value itself stays out of the message: it may be a credential.
            throw new IllegalArgumentException("header " + name + ": value contains a control character "
                    + "(expected: printable text on one line)");
        }
        return value;
    }

    /** No control characters but HTAB: what HTTP (and Vert.x's header validation) accepts in a value. */
    static boolean isHeaderSafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTokenChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
