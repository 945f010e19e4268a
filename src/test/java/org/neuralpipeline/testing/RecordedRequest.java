package org.neuralpipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.MultiMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.neuralpipeline.openai.OpenAiJson;

/**
 * A request as a {@link FakeModelServer} received it, for assertions.
 *
 * @param method for example {@code POST}
 * @param path the path without the query, for example {@code /v1/chat/completions}
 * @param query the raw query, or null
 * @param headers a case-insensitive copy
 * @param body the whole body (the server reads it before answering)
 * @param connectionClosed completes when the TCP connection that carried the request closes (by either side)
 */
public record RecordedRequest(String method, String path, String query, MultiMap headers, byte[] body,
        CompletableFuture<Void> connectionClosed) {

    /** The first value of a header, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON (with the project's mapper). */
    public JsonNode bodyJson() {
        try {
            return OpenAiJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the connection closed; fails the test after {@code timeout}. */
    public void awaitConnectionClosed(Duration timeout) {
        try {
            connectionClosed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the connection of " + method + " " + path + " was still open after " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    @Override
    public String toString() {
        return method + " " + path + (query == null ? "" : "?" + query) + " (" + body.length + " body bytes)";
    }
}
