package org.neuralpipeline.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.neuralpipeline.broadcast.Publisher;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.observability.Metrics.BroadcastMeters;
import org.neuralpipeline.openai.ErrorBody;

/**
 * {@code POST /v1/neural/events}: NDJSON neural events in, each line checked alone ({@link IngestLines}) and
 * published; answers {@code 202 {"accepted":N,"rejected":[{"line":K,"error":"…"}]}}. A bad line never stops its
 * neighbours. The body is bounded by {@code limits.max_body_bytes} (the body handler before this one).
 */
public final class HttpIngest {
    static final Set<String> MEDIA_TYPES = Set.of("application/x-ndjson", "application/ndjson", "application/jsonl",
            "application/json");

    private record Rejection(int line, String error) {
    }

    private final Publisher publisher;
    private final boolean enabled;
    private final IngestToken token;
    private final BroadcastMeters meters;

    public HttpIngest(Publisher publisher, BroadcastConfig config, BroadcastMeters meters) {
        this.publisher = publisher;
        this.enabled = config.ingestEnabled();
        this.token = new IngestToken(config.ingestToken());
        this.meters = meters;
    }

    /**
     * Adds {@code POST /v1/neural/events}. The switch, the token and the media type are checked before the body
     * is read, so a client without the token cannot make the service take in a body of up to the limit first
     * (Vert.x Web reads bodies before user handlers; a platform handler may run earlier).
     */
    public void mount(Router router, long maxBodyBytes) {
        PlatformHandler admit = this::admit;
        router.post("/v1/neural/events").handler(admit)
                .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).handler(this::handle);
    }

    private void admit(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        if (!enabled) {
            error(response, 404, "invalid_request_error", "ingest_disabled",
                    "Ingest is switched off (broadcast.ingest_enabled: false)");
            return;
        }
        if (token.required() && !token.matchesHeader(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            error(response, 401, "invalid_request_error", "invalid_api_key",
                    "Ingest needs the ingest token: send Authorization: Bearer <broadcast.ingest_token>");
            return;
        }
        String type = mediaType(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE));
        if (!MEDIA_TYPES.contains(type)) {
            error(response, 415, "invalid_request_error", "unsupported_media_type", "Content-Type: '" + type
                    + "' (expected: application/x-ndjson, one JSON object per line)");
            return;
        }
        ctx.next();
    }

    private void handle(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        Buffer body = ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        List<Rejection> rejected = new ArrayList<>();
        int[] accepted = {0};
        LineSplitter splitter = new LineSplitter(IngestLines.MAX_LINE_BYTES, new LineSplitter.Listener() {
            @Override
            public void line(int number, byte[] bytes, int length) {
                switch (IngestLines.parse(bytes, length)) {
                    case IngestLines.Accepted a -> {
                        if (publisher.publish(a.message()) >= 0) {
                            accepted[0]++;
                        } else {
                            reject(number, "the broadcast hub is overloaded; send it again later");
                        }
                    }
                    case IngestLines.Rejected r -> reject(number, r.error());
                    case IngestLines.Blank b -> {
                    }
                }
            }

            @Override
            public void tooLong(int number) {
                reject(number, IngestLines.tooLong());
            }

            private void reject(int number, String error) {
                rejected.add(new Rejection(number, error));
            }
        });
        byte[] bytes = body.getBytes();
        splitter.feed(bytes, 0, bytes.length);
        splitter.end();
        meters.ingestLines("http", accepted[0], rejected.size());

        StringWriter out = new StringWriter();
        try (JsonGenerator g = IngestLines.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("accepted", accepted[0]);
            g.writeArrayFieldStart("rejected");
            for (Rejection r : rejected) {
                g.writeStartObject();
                g.writeNumberField("line", r.line());
                g.writeStringField("error", r.error());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        response.setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(out.toString());
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    /** An error in OpenAI's shape ({@link ErrorBody}). */
    static void error(HttpServerResponse response, int status, String type, String code, String message) {
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(ErrorBody.json(message, type, null, code)));
    }
}
