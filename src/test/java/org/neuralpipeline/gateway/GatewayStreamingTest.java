package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.testing.TestGateway.chatBody;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.RecordedRequest;
import org.neuralpipeline.testing.Script;
import org.neuralpipeline.testing.TestGateway;

/**
 * A stream through the real service: the exact bytes and headers a client receives, flushing of each
 * chunk as it comes (checklist 3), and keep-alive comments while the upstream thinks (checklist 22).
 */
class GatewayStreamingTest {
    /** A plain mapper, not the project's: the expected bytes are built independently of our writer. */
    private static final ObjectMapper PLAIN = new ObjectMapper();

    private static Vertx vertx;
    private static FakeModelServer fake;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake)));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        fake.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void relaysTheOpenAiTranscriptAsExactCanonicalBytes() throws Exception {
        fake.enqueueChat(Script.transcript("openai.sse"));

        GatewayClient.Stream stream = gateway.client().stream(
                chatBody("fake-model", true, "\"stream_options\":{\"include_usage\":true}"), "X-Request-ID", "exact-1");

        assertThat(new String(stream.body(), StandardCharsets.UTF_8)).isEqualTo(expectedFromTranscript("openai.sse",
                "fake-model"));
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");
        assertThat(stream.header("cache-control")).isEqualTo("no-cache");
        assertThat(stream.header("x-accel-buffering")).isEqualTo("no");
        assertThat(stream.header("content-length")).isNull();
        assertThat(stream.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(stream.header("x-request-id")).isEqualTo("exact-1");
        assertThat(stream.header("x-upstream")).isEqualTo("fake");
        assertThat(stream.header("x-gateway-overhead-ms")).matches("\\d+(\\.\\d+)?");
        RecordedRequest upstream = fake.requests(FakeModelServer.CHAT).getLast();
        assertThat(upstream.header("X-Request-ID")).isEqualTo("exact-1");
        assertThat(upstream.bodyJson().path("stream").booleanValue()).isTrue();
    }

    /**
     * What OpenAI would send for this transcript, built by hand: id, created and fingerprint from the
     * upstream's first chunk, the request's model, one role chunk with empty content, one chunk per
     * content delta, the finish reason on its own chunk with an empty delta, the usage chunk, [DONE].
     */
    private static String expectedFromTranscript(String transcript, String model) throws Exception {
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : Script.transcript(transcript).text().split("\n")) {
            if (line.startsWith("data: {")) {
                chunks.add(PLAIN.readTree(line.substring(6)));
            }
        }
        JsonNode first = chunks.getFirst();
        String head = "data: {\"id\":" + PLAIN.writeValueAsString(first.path("id").asText())
                + ",\"object\":\"chat.completion.chunk\",\"created\":" + first.path("created").asLong()
                + ",\"model\":" + PLAIN.writeValueAsString(model)
                + ",\"system_fingerprint\":" + PLAIN.writeValueAsString(first.path("system_fingerprint").asText())
                + ",\"choices\":";
        String tail = ",\"logprobs\":null,\"finish_reason\":%s}],\"usage\":null}\n\n";
        StringBuilder out = new StringBuilder();
        out.append(head).append("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}")
                .append(tail.formatted("null"));
        String finish = null;
        JsonNode usage = null;
        for (JsonNode chunk : chunks) {
            if (chunk.path("choices").isEmpty()) {
                usage = chunk.path("usage");
                continue;
            }
            JsonNode choice = chunk.path("choices").get(0);
            String content = choice.path("delta").path("content").asText("");
            if (!content.isEmpty()) {
                out.append(head).append("[{\"index\":0,\"delta\":{\"content\":")
                        .append(PLAIN.writeValueAsString(content)).append('}').append(tail.formatted("null"));
            }
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        out.append(head).append("[{\"index\":0,\"delta\":{}").append(tail.formatted("\"" + finish + "\""));
        out.append(head).append("[],\"usage\":").append(PLAIN.writeValueAsString(usage)).append("}\n\n");
        out.append("data: [DONE]\n\n");
        assertThat(out.toString()).as("the transcript has content, a finish reason and usage")
                .contains("\"finish_reason\":\"stop\"", "\"prompt_tokens\":9", "wörld 🌍");
        return out.toString();
    }

    @Test
    void streamsThatEndNormallyLeaveTheirUpstreamConnectionForTheNext() {
        int before = fake.acceptedConnections();
        for (int i = 0; i < 5; i++) {
            fake.enqueueChat(Script.transcript("openai.sse"));
            GatewayClient.Stream stream = gateway.client().stream(chatBody("fake-model", true));
            assertThat(new String(stream.body(), StandardCharsets.UTF_8)).endsWith("data: [DONE]\n\n");
        }
        // one more connection at most: a stream read to its end goes back to the pool, not closed
        assertThat(fake.acceptedConnections() - before).isLessThanOrEqualTo(1);
    }

    @Test
    void flushesEachChunkAsItArrivesInsteadOfCoalescing() {
        String head = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,";
        fake.enqueueChat(Script.sse()
                .event(head + "\"delta\":{\"role\":\"assistant\",\"content\":\"first\"},\"finish_reason\":null}]}")
                .pause(Duration.ofMillis(300))
                .event(head + "\"delta\":{\"content\":\"second\"},\"finish_reason\":null}]}")
                .event(head + "\"delta\":{},\"finish_reason\":\"stop\"}]}")
                .done());

        GatewayClient.Stream stream = gateway.client().stream(chatBody("fake-model", true));
        long first = lineContaining(stream, "\"first\"").nanos();
        long second = lineContaining(stream, "\"second\"").nanos();

        // coalesced writes would arrive together; the upstream's 300 ms gap must reach the client
        assertThat(TimeUnit.NANOSECONDS.toMillis(second - first)).isGreaterThanOrEqualTo(200);
        assertThat(stream.data()).last().isEqualTo("[DONE]");
    }

    private static GatewayClient.Line lineContaining(GatewayClient.Stream stream, String text) {
        while (true) {
            GatewayClient.Line line = stream.nextLine();
            if (line.text().contains(text)) {
                return line;
            }
        }
    }

    @Test
    void sendsKeepAliveCommentsWhileTheUpstreamThinksThenTheTokens() {
        try (FakeModelServer slow = FakeModelServer.start(vertx);
                TestGateway keptAlive = TestGateway.start(TestGateway.config(TestGateway.upstream("slow", slow))
                        .withTimeouts(TestGateway.timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                                Duration.ofSeconds(20), Duration.ofMillis(200))))) {
            slow.models("fake-model").enqueueChat(Script.transcript("openai.sse").pauseFirst(Duration.ofMillis(900)));

            GatewayClient.Stream stream = keptAlive.client().stream(chatBody("fake-model", true));
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");

            List<GatewayClient.Line> beforeData = new ArrayList<>();
            GatewayClient.Line line;
            while (!(line = stream.nextLine()).text().startsWith("data:")) {
                beforeData.add(line);
            }
            long firstData = line.nanos();
            List<String> comments = beforeData.stream().map(GatewayClient.Line::text).filter(t -> !t.isEmpty()).toList();
            assertThat(comments).hasSizeGreaterThanOrEqualTo(2).allMatch(": keep-alive"::equals);
            // the headers were committed by the first keep-alive, long before the first token
            assertThat(TimeUnit.NANOSECONDS.toMillis(firstData - stream.headersNanos())).isGreaterThanOrEqualTo(300);
            assertThat(TimeUnit.NANOSECONDS.toMillis(firstData - beforeData.getFirst().nanos()))
                    .isGreaterThanOrEqualTo(300);
            // and nothing but comments: the events are exactly those of an undelayed stream
            assertThat(stream.text().lines().filter(l -> !l.isEmpty() && !l.startsWith("data: ")))
                    .allMatch(": keep-alive"::equals);
            assertThat(stream.data()).hasSize(6).last().isEqualTo("[DONE]");
        }
    }
}
