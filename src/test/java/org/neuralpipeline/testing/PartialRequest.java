package org.neuralpipeline.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;

/**
 * A POST whose head announces a body of {@code Content-Length} bytes of which only a few are sent: what a
 * server answers before the body is complete shows what it checks before reading the body.
 */
public final class PartialRequest {
    private PartialRequest() {
    }

    /**
     * Sends the head (with the given extra header lines) and {@code "{"} of a {@code bodyLength}-byte body, and
     * returns the status line of the answer, or fails when none comes within {@code within}.
     */
    public static String statusLine(String baseUrl, String path, int bodyLength, Duration within,
            String... headerLines) {
        URI uri = URI.create(baseUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout((int) within.toMillis());
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n"
                    + "Content-Length: " + bodyLength + "\r\n");
            for (String line : headerLines) {
                head.append(line).append("\r\n");
            }
            head.append("\r\n{");
            socket.getOutputStream().write(head.toString().getBytes(US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            StringBuilder status = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\r') {
                status.append((char) b);
            }
            return status.toString();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + within + " while the body was incomplete", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
