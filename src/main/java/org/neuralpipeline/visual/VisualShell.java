package org.neuralpipeline.visual;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The visual shell: {@code GET /} serves a self-contained page that watches the broadcast hub ({@code /ws})
 * and draws every token on a Hilbert grid; its script and style are under {@code /visual/}. See
 * docs/VISUAL-SHELL.md.
 *
 * <p>The three files are read from the jar once, when the routes are mounted, and served from memory: no file
 * cache on disk, no front-end build step, nothing fetched from elsewhere (the Content-Security-Policy says so
 * to the browser too). Each answer carries a strong ETag and {@code Cache-Control: no-cache}, so a browser
 * revalidates (a 304 without a body) and never runs a page and a script from two different builds.
 */
public final class VisualShell {
    /** Resources under {@code src/main/resources/visual/}, by the path they are served at. */
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/visual/app.js", "app.js",
            "/visual/style.css", "style.css");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");
    /**
     * Same origin only: the page talks to this server ({@code /v1}, {@code /ws}) and loads nothing else.
     * {@code ws:}/{@code wss:} are listed because older browsers do not count a WebSocket to the own host as
     * {@code 'self'}; the favicon is an empty {@code data:} URL so that no request 404s.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    private record Asset(Buffer body, String contentType, String etag) {
    }

    private final Map<String, Asset> assets;

    private VisualShell(Map<String, Asset> assets) {
        this.assets = assets;
    }

    /** Reads the page's files from the class path; fails if the jar lacks one (a packaging bug). */
    static VisualShell load() {
        Map<String, Asset> assets = new LinkedHashMap<>();
        FILES.forEach((path, name) -> assets.put(path, asset(name)));
        return new VisualShell(Map.copyOf(assets));
    }

    /** Mounts {@code GET /} and {@code GET /visual/app.js}, {@code /visual/style.css} (HEAD too) on the router. */
    public static void mount(Router router) {
        VisualShell shell = load();
        shell.assets.forEach((path, asset) -> router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD)
                .handler(ctx -> serve(ctx, asset)));
    }

    private static void serve(RoutingContext ctx, Asset asset) {
        HttpServerResponse response = ctx.response()
                .putHeader(HttpHeaders.ETAG, asset.etag())
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Content-Type-Options", "nosniff");
        if (asset.contentType().startsWith("text/html")) {
            response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    .putHeader("Referrer-Policy", "no-referrer");
        }
        String ifNoneMatch = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contains(asset.etag())) {
            response.setStatusCode(304).end();
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType());
        if (ctx.request().method() == HttpMethod.HEAD) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(asset.body().length())).end();
        } else {
            response.end(asset.body());
        }
    }

    private static Asset asset(String name) {
        String resource = "visual/" + name;
        try (InputStream in = VisualShell.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " (expected: in the jar)");
            }
            byte[] bytes = in.readAllBytes();
            String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
            return new Asset(Buffer.buffer(bytes), type, etag(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
