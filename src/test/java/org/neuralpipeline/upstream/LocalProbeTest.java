package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.FaultMode;

class LocalProbeTest {
    private static Vertx vertx;
    private static HttpClient client;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void findsTheServersThatAnswerAndSkipsAClosedPortWithoutWaitingForTheTimeout() throws Exception {
        try (FakeModelServer lmstudio = FakeModelServer.start(vertx).models("qwen2.5-7b-instruct");
                FakeModelServer ollama = FakeModelServer.start(vertx).models("llama3.2:3b", "qwen3:8b");
                FakeModelServer closed = FakeModelServer.start(vertx).fault(FaultMode.REFUSE)) {
            List<LocalProbe.Candidate> candidates = List.of(
                    new LocalProbe.Candidate("lmstudio", lmstudio.baseUrl()),
                    new LocalProbe.Candidate("vllm", closed.baseUrl()),
                    new LocalProbe.Candidate("ollama", ollama.baseUrl()));
            long started = System.nanoTime();

            List<HttpUpstream> found = await(LocalProbe.probe(vertx, client, candidates, Duration.ofSeconds(8)));

            // a refused connection fails at once: the probe does not sit out its 8 s
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
            assertThat(found).extracting(HttpUpstream::name).containsExactly("lmstudio", "ollama");
            assertThat(await(found.get(0).models())).containsExactly("qwen2.5-7b-instruct");
            assertThat(await(found.get(1).models())).containsExactly("llama3.2:3b", "qwen3:8b");
            assertThat(ollama.requests(FakeModelServer.MODELS)).as("the probe's answer is cached").hasSize(1);
            assertThat(found.get(1).settings().baseUrl()).isEqualTo(ollama.baseUrl());
        }
    }

    @Test
    void silentServerIsLeftOutAfterTheTimeout() throws Exception {
        try (FakeModelServer silent = FakeModelServer.start(vertx).fault(FaultMode.STALL_BEFORE_HEADERS)) {
            List<HttpUpstream> found = await(LocalProbe.probe(vertx, client,
                    List.of(new LocalProbe.Candidate("lmstudio", silent.baseUrl())), Duration.ofMillis(200)));

            assertThat(found).isEmpty();
            assertThat(silent.requests(FakeModelServer.MODELS)).hasSize(1);
        }
    }

    @Test
    void defaultCandidatesAreLmStudioAndOllama() {
        assertThat(LocalProbe.DEFAULT_CANDIDATES).containsExactly(
                new LocalProbe.Candidate("lmstudio", "http://127.0.0.1:1234/v1"),
                new LocalProbe.Candidate("ollama", "http://127.0.0.1:11434/v1"));
        assertThat(LocalProbe.DEFAULT_TIMEOUT).isEqualTo(Duration.ofMillis(500));
    }
}
