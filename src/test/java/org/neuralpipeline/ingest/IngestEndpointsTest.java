package org.neuralpipeline.ingest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralpipeline.broadcast.BroadcastMessage;
import org.neuralpipeline.broadcast.Publisher;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.testing.MeterSnapshot;
import org.neuralpipeline.testing.PartialRequest;

/** Ingest over real sockets: HTTP on 127.0.0.1 and a Unix domain socket with the JDK's own client. */
class IngestEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Vertx vertx;
    private static HttpClient client;

    private final List<BroadcastMessage> published = new CopyOnWriteArrayList<>();
    private final Publisher publisher = m -> {
        published.add(m);
        return published.size();
    };
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Metrics.BroadcastMeters meters = new Metrics(registry).broadcast();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static BroadcastConfig config(boolean enabled, String token, String socket) {
        return new BroadcastConfig(1000, 100, BroadcastConfig.SlowViewerPolicy.DROP_OLDEST, 10, 100,
                Duration.ofSeconds(30), Duration.ofMinutes(5), 0, Duration.ZERO, 16, 65_536, 8, enabled, token, socket);
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer post(BroadcastConfig config, String contentType, String authorization, String body)
            throws Exception {
        return withIngest(config, port -> {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                    .setPort(port).setURI("/v1/neural/events");
            if (contentType != null) {
                options.putHeader("Content-Type", contentType);
            }
            if (authorization != null) {
                options.putHeader("Authorization", authorization);
            }
            // the body is asked for on the event loop as the response arrives, so none of it can be missed
            record Raw(int status, Buffer body) {
            }
            Raw raw = client.request(options).compose(r -> r.send(Buffer.buffer(body)))
                    .compose(r -> r.body().map(b -> new Raw(r.statusCode(), b)))
                    .await(10, TimeUnit.SECONDS);
            return new Answer(raw.status(), JSON.readTree(raw.body().getBytes()));
        });
    }

    @FunctionalInterface
    private interface PortCall<T> {
        T on(int port) throws Exception;
    }

    /** {@code call} with the port of a server that has only the ingest route; the server is closed after. */
    private <T> T withIngest(BroadcastConfig config, PortCall<T> call) throws Exception {
        Router router = Router.router(vertx);
        new HttpIngest(publisher, config, meters).mount(router, 1 << 20);
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
        try {
            return call.on(server.actualPort());
        } finally {
            server.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void badNdjsonLinesAreRejectedAloneAndTheirNeighboursDelivered() throws Exception {
        String body = """
                {"message_type":"DaemonPulse","strength":0.4}
                not json
                {"message_type":"TokenVisualizationUpdate","payload":{"request_id":"r1"}}

                {"no_type":true}
                """ + "{\"message_type\":\"Big\",\"pad\":\"" + "x".repeat(70_000) + "\"}\n"
                + "{\"message_type\":\"Last\"}";
        Answer a = post(config(true, "", ""), "application/x-ndjson", null, body);
        assertThat(a.status()).isEqualTo(202);
        assertThat(a.body().path("accepted").asInt()).isEqualTo(3);
        assertThat(a.body().path("rejected").toString()).isEqualTo("[{\"line\":2,\"error\":\"invalid JSON: "
                + "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
                + "or 'false')\"},{\"line\":5,\"error\":\"message_type: missing (expected: a string)\"},"
                + "{\"line\":6,\"error\":\"line longer than 65536 bytes\"}]");
        assertThat(published).extracting(BroadcastMessage::type)
                .containsExactly("DaemonPulse", "TokenVisualizationUpdate", "Last");
        assertThat(MeterSnapshot.of(registry))
                .containsEntry("neural_pipeline.ingest.lines{result=accepted,transport=http}", 3.0)
                .containsEntry("neural_pipeline.ingest.lines{result=rejected,transport=http}", 3.0);
    }

    @Test
    void httpIngestNeedsItsTokenAnNdjsonBodyAndToBeSwitchedOn() throws Exception {
        String line = "{\"message_type\":\"A\"}\n";
        Answer unauthorized = post(config(true, "t0k", ""), "application/x-ndjson", "Bearer nope", line);
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.body().path("error").path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(post(config(true, "t0k", ""), "application/x-ndjson", "Bearer t0k", line).status()).isEqualTo(202);
        Answer form = post(config(true, "", ""), "application/x-www-form-urlencoded", null, line);
        assertThat(form.status()).isEqualTo(415);
        Answer off = post(config(false, "", ""), "application/x-ndjson", null, line);
        assertThat(off.status()).isEqualTo(404);
        assertThat(off.body().path("error").path("message").asText())
                .isEqualTo("Ingest is switched off (broadcast.ingest_enabled: false)");
        assertThat(published).hasSize(1);
    }

    @Test
    void theTokenSwitchAndMediaTypeAreCheckedBeforeTheBodyIsRead() throws Exception {
        record Case(BroadcastConfig config, String contentType, String statusLine) {
        }
        for (Case c : List.of(new Case(config(true, "t0k", ""), "application/x-ndjson", "HTTP/1.1 401 Unauthorized"),
                new Case(config(false, "", ""), "application/x-ndjson", "HTTP/1.1 404 Not Found"),
                new Case(config(true, "", ""), "text/plain", "HTTP/1.1 415 Unsupported Media Type"))) {
            String statusLine = withIngest(c.config(), port -> PartialRequest.statusLine("http://127.0.0.1:" + port,
                    "/v1/neural/events", 100_000, Duration.ofSeconds(5), "Content-Type: " + c.contentType()));
            assertThat(statusLine).isEqualTo(c.statusLine());
        }
        assertThat(published).isEmpty();
    }

    /** A client of the socket: JDK channel, one line out, one reply line in. */
    private static final class SocketClient implements AutoCloseable {
        private final SocketChannel channel;
        private final BufferedReader replies;

        SocketClient(Path path) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(path));
            replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), UTF_8));
        }

        void send(String text) throws IOException {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }

        String reply() throws IOException {
            return replies.readLine();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private UnixSocketIngest openSocket(Path path, BroadcastConfig config) {
        return UnixSocketIngest.open(vertx, vertx.getOrCreateContext(), path, publisher, config, meters);
    }

    @Test
    void theUnixSocketAnswersEveryLineAndIsOwnerOnly() throws Exception {
        Path path = dir.resolve("ingest.sock");
        UnixSocketIngest ingest = openSocket(path, config(true, "", path.toString()));
        try (SocketClient c = new SocketClient(path)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
            assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("ingest.sock");
            c.send("{\"message_type\":\"A\"}\n[]\n\n{\"message_type\":\"B\"}\r\n{\"message_type\":\"C\"");
            assertThat(c.reply()).isEqualTo("{\"ok\":true,\"id\":1}");
            assertThat(c.reply())
                    .isEqualTo("{\"ok\":false,\"line\":2,\"error\":\"expected a JSON object, got array\"}");
            assertThat(c.reply()).isEqualTo("{\"ok\":true,\"id\":2}"); // line 3 was blank: no reply
            c.send("}\n");
            assertThat(c.reply()).isEqualTo("{\"ok\":true,\"id\":3}");
            assertThat(published).extracting(BroadcastMessage::type).containsExactly("A", "B", "C");
        } finally {
            ingest.close().await(10, TimeUnit.SECONDS);
        }
        assertThat(Files.exists(path)).as("removed at shutdown").isFalse();
        assertThat(MeterSnapshot.of(registry)).containsEntry(
                "neural_pipeline.ingest.lines{result=accepted,transport=socket}", 3.0);
    }

    @Test
    void theSocketWantsTheTokenOnItsFirstLine() throws Exception {
        Path path = dir.resolve("t.sock");
        UnixSocketIngest ingest = openSocket(path, config(true, "s3", path.toString()));
        try {
            try (SocketClient c = new SocketClient(path)) {
                c.send("{\"token\":\"s3\"}\n{\"message_type\":\"A\"}\n");
                assertThat(c.reply()).isEqualTo("{\"ok\":true,\"authenticated\":true}");
                assertThat(c.reply()).isEqualTo("{\"ok\":true,\"id\":1}");
            }
            try (SocketClient c = new SocketClient(path)) {
                c.send("{\"message_type\":\"A\"}\n");
                assertThat(c.reply()).isEqualTo("{\"ok\":false,\"line\":1,\"error\":\"unauthorized: the first line "
                        + "must be {\\\"token\\\":\\\"<broadcast.ingest_token>\\\"}\"}");
                assertThat(c.reply()).as("closed").isNull();
            }
            assertThat(published).hasSize(1);
        } finally {
            ingest.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStaleSocketFileIsReplacedAndALiveOneOrAPlainFileIsAnError() throws Exception {
        Path path = dir.resolve("s.sock");
        // a stale socket: bound, then its process "died" (the channel closed, the file left behind)
        try (var server = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
        }
        assertThat(Files.exists(path)).isTrue();
        UnixSocketIngest first = openSocket(path, config(true, "", ""));
        try {
            assertThatThrownBy(() -> openSocket(path, config(true, "", "")))
                    .hasMessage(path + " is in use: another process listens on it");
        } finally {
            first.close().await(10, TimeUnit.SECONDS);
        }
        Path plain = dir.resolve("notes.txt");
        Files.writeString(plain, "keep me");
        assertThatThrownBy(() -> openSocket(plain, config(true, "", "")))
                .hasMessage(plain + " exists and is not a socket; remove it or choose another broadcast.ingest_socket");
        assertThat(Files.readString(plain)).isEqualTo("keep me");
    }

}
