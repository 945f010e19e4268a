package org.neuralpipeline.openai;

/**
 * The client's request is malformed or breaks the schema: becomes HTTP 400 with an
 * {@code invalid_request_error} that names the offending field in {@code param}.
 */
public final class InvalidRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String param;
    private final String code;

    public InvalidRequestException(String param, String code, String message) {
        // stackless: bad input is routine, and the message says everything
        super(message, null, false, false);
        this.param = param;
        this.code = code;
    }

    /** The JSON path of the offending field ({@code messages[2].role}), or null for the whole body. */
    public String param() {
        return param;
    }

    /** A stable machine-readable reason: invalid_json, missing_required_parameter, invalid_type, invalid_value. */
    public String code() {
        return code;
    }
}
