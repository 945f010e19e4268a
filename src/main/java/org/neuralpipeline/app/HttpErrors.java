package org.neuralpipeline.app;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.neuralpipeline.openai.ErrorBody;

/** Errors of the routes outside {@code /v1} (unknown path, internal error), in OpenAI's shape. */
final class HttpErrors {
    private HttpErrors() {
    }

    static void send(RoutingContext ctx, int status, String type, String code, String message) {
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(ErrorBody.json(message, type, null, code)));
    }
}
