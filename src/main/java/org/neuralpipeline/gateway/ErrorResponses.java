package org.neuralpipeline.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import org.neuralpipeline.openai.ErrorBody;
import org.neuralpipeline.openai.InvalidRequestException;
import org.neuralpipeline.openai.OpenAiJson;
import org.neuralpipeline.upstream.UpstreamException;

/**
 * Maps every failure to one HTTP status and one OpenAI-shaped body {@code {"error":{"message","type",
 * "param","code"}}}. The same {@link ApiError} is also what a stream that already started carries in its
 * final {@code data: {"error":…}} event.
 */
final class ErrorResponses {
    private ErrorResponses() {
    }

    /** One error as the client sees it. */
    record ApiError(int status, String message, String type, String param, String code, long retryAfterSeconds) {
        ApiError(int status, String message, String type, String param, String code) {
            this(status, message, type, param, code, -1);
        }

        byte[] body() {
            return ErrorBody.json(message, type, param, code);
        }
    }

    static ApiError invalid(InvalidRequestException e) {
        return new ApiError(400, e.getMessage(), "invalid_request_error", e.param(), e.code());
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "The request body is larger than the limit of " + limit + " bytes",
                "invalid_request_error", null, "request_too_large");
    }

    static ApiError unauthorized() {
        return new ApiError(401, "Missing or invalid API key: send 'Authorization: Bearer <key>'",
                "invalid_request_error", null, "invalid_api_key");
    }

    static ApiError unknownModel(String model, List<String> available) {
        return new ApiError(404, "The model '" + model + "' does not exist or no upstream serves it. Available models: "
                + (available.isEmpty() ? "(none)" : String.join(", ", available)),
                "invalid_request_error", "model", "model_not_found");
    }

    static ApiError upstream(String upstream, UpstreamException e) {
        String where = "upstream '" + upstream + "': ";
        // the upstream clients' messages already start with "upstream '<name>'"; the gateway's own do not
        String message = String.valueOf(e.getMessage());
        String named = message.startsWith("upstream '" + upstream + "'") ? message : where + message;
        return switch (e.kind()) {
            case REFUSED -> new ApiError(502, named, "upstream_error", null, "upstream_unreachable");
            case TIMEOUT -> new ApiError(504, named, "upstream_error", null, "upstream_timeout");
            case PROTOCOL -> new ApiError(502, named, "upstream_error", null, "upstream_protocol_error");
            case TRUNCATED -> new ApiError(502, named, "upstream_error", null, "upstream_truncated");
            case STREAM_ERROR -> new ApiError(502, named, "upstream_error", null, "upstream_error");
            case UNSUPPORTED -> new ApiError(400, named, "invalid_request_error", null, "unsupported_by_upstream");
            case HTTP_STATUS -> fromStatus(where, e);
        };
    }

    /**
     * A 4xx from the upstream is the client's problem (a prompt over the context window, a bad parameter):
     * its status and message go back unchanged. 429 keeps its Retry-After. 5xx becomes 502.
     */
    private static ApiError fromStatus(String where, UpstreamException e) {
        int status = e.status();
        String upstreamMessage = upstreamMessage(e.upstreamBody());
        String message = where + "HTTP " + status + (upstreamMessage != null ? ": " + upstreamMessage : "");
        if (status == 429) {
            return new ApiError(429, message, "rate_limit_error", null, "rate_limit_exceeded", e.retryAfterSeconds());
        }
        if (status >= 400 && status < 500) {
            return new ApiError(status, message, "invalid_request_error", null, "upstream_rejected");
        }
        return new ApiError(502, message, "upstream_error", null, "upstream_error", e.retryAfterSeconds());
    }

    /** The message inside an upstream's error body, in any of the shapes seen in the wild. */
    static String upstreamMessage(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode json = OpenAiJson.MAPPER.readTree(body);
            JsonNode error = json.path("error");
            if (error.isObject() && error.path("message").isTextual()) {
                return error.path("message").asText();
            }
            if (error.isTextual()) {
                return error.asText();
            }
            if (json.path("message").isTextual()) {
                return json.path("message").asText();
            }
        } catch (Exception notJson) {
            // fall through: plain text
        }
        String text = body.strip();
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    static void send(HttpServerResponse response, ApiError error) {
        if (response.headWritten()) {
            return;
        }
        response.setStatusCode(error.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (error.retryAfterSeconds() >= 0) {
            response.putHeader("Retry-After", Long.toString(error.retryAfterSeconds()));
        }
        response.end(Buffer.buffer(error.body()));
    }
}
