package org.neuralpipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.openai.OpenAiJson;

/**
 * A real HTTP/1.1 client of the gateway ({@code java.net.http}). {@link #open} returns once the response
 * headers arrived and reads the body on its own thread, line by line with each line's arrival time, so a
 * test can measure when bytes reached the client; {@link #socket} is a raw TCP client for tests that must
 * control exactly when the connection closes.
 */
public final class GatewayClient {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade: the tests look at HTTP/1.1 framing
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;

    /** @param baseUrl for example {@code http://127.0.0.1:40123} (no {@code /v1}) */
    public GatewayClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send(request(path, headers).GET().build());
    }

    public HttpResponse<String> post(String path, String body, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** {@code POST /v1/chat/completions}, the whole answer at once. */
    public HttpResponse<String> chat(String body, String... headers) {
        return post("/v1/chat/completions", body, headers);
    }

    /** Sends a POST and returns when the response head arrived; the body is read in the background. */
    public Stream open(String path, String body, String... headers) {
        HttpRequest request = request(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<InputStream> response = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return new Stream(response.statusCode(), response.headers(), System.nanoTime(), response.body());
        } catch (Exception e) {
            throw new AssertionError("POST " + path + " failed: " + e, e);
        }
    }

    /** {@code open("/v1/chat/completions", body, headers)}. */
    public Stream stream(String body, String... headers) {
        return open("/v1/chat/completions", body, headers);
    }

    /**
     * Opens a raw TCP connection, sends {@code POST path} with {@code body} (HTTP/1.1, Content-Length) and
     * returns the socket; the caller reads from it and closes it when the test wants the client gone.
     */
    public Socket socket(String path, String body) {
        URI uri = URI.create(baseUrl);
        try {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), uri.getPort());
            socket.setSoTimeout((int) WAIT.toMillis());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads from {@code socket} until {@code text} was received (the response so far is returned). */
    public static String readUntil(Socket socket, String text) {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            while (!seen.toString(StandardCharsets.UTF_8).contains(text)) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new AssertionError("the connection ended before '" + text + "' arrived: " + seen);
                }
                seen.write(buffer, 0, n);
            }
            return seen.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(WAIT);
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** One line of a streamed body (without its {@code \n}) and when it arrived ({@link System#nanoTime()}). */
    public record Line(String text, long nanos) {
    }

    /** A response whose body is still arriving. */
    public static final class Stream implements AutoCloseable {
        private static final Line END = new Line("<end of body>", 0);

        private final int status;
        private final HttpHeaders headers;
        private final long headersNanos;
        private final InputStream body;
        private final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> ended = new CompletableFuture<>();

        Stream(int status, HttpHeaders headers, long headersNanos, InputStream body) {
            this.status = status;
            this.headers = headers;
            this.headersNanos = headersNanos;
            this.body = body;
            Thread reader = new Thread(this::read, "gateway-client-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try (InputStream in = body) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    long now = System.nanoTime();
                    synchronized (raw) {
                        raw.write(buffer, 0, n);
                    }
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            lines.add(new Line(line.toString(StandardCharsets.UTF_8), now));
                            line.reset();
                        } else {
                            line.write(buffer[i]);
                        }
                    }
                }
                synchronized (raw) {
                    ended.complete(raw.toByteArray());
                }
            } catch (IOException e) {
                ended.completeExceptionally(e);
            } finally {
                lines.add(END);
            }
        }

        public int status() {
            return status;
        }

        public HttpHeaders headers() {
            return headers;
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** When the response head arrived. */
        public long headersNanos() {
            return headersNanos;
        }

        /** The next line, waiting up to 10 s; fails at the end of the body. */
        public Line nextLine() {
            try {
                Line line = lines.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (line == null) {
                    throw new AssertionError("no line arrived within " + WAIT);
                }
                if (line == END) {
                    throw new AssertionError("the body ended; received: " + text());
                }
                return line;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** The whole body, waiting up to 10 s for its end. */
        public byte[] body() {
            try {
                return ended.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError("the body did not end within " + WAIT + "; so far: " + textSoFar(), e);
            }
        }

        public String text() {
            return new String(body(), StandardCharsets.UTF_8);
        }

        private String textSoFar() {
            synchronized (raw) {
                return raw.toString(StandardCharsets.UTF_8);
            }
        }

        /** The payload of every {@code data:} line of the whole body, {@code [DONE]} included. */
        public List<String> data() {
            List<String> data = new ArrayList<>();
            for (String line : text().split("\n", -1)) {
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                }
            }
            return data;
        }

        /** Every data payload except {@code [DONE]}, parsed. */
        public List<JsonNode> chunks() {
            List<JsonNode> chunks = new ArrayList<>();
            for (String d : data()) {
                if (!d.equals("[DONE]")) {
                    chunks.add(json(d));
                }
            }
            return chunks;
        }

        /** Closes the body stream (the client goes away). */
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static JsonNode json(String text) {
        try {
            return OpenAiJson.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
