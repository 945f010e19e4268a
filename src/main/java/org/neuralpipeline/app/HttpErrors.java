package org.neuralpipeline.app;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.neuralpipeline.openai.ErrorBody;

/** Errors of the routes outside {@code /v1} (unknown path, internal error, a viewer's key), in OpenAI's shape. */
final class HttpErrors {
    private HttpErrors() {
    }

    static void send(RoutingContext ctx, int status, String type, String code, String message) {
        send(ctx.response(), status, type, code, message);
    }

    /** The error as the response; a response already under way is reset instead (its status is gone). */
    static void send(HttpServerResponse response, int status, String type, String code, String message) {
        if (response.headWritten()) {
            response.reset();
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(ErrorBody.json(message, type, null, code)));
    }
}
