package org.neuralpipeline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.testing.FakeModelServer;
import org.neuralpipeline.testing.GatewayClient;
import org.neuralpipeline.testing.TestGateway;

/**
 * The official {@code openai} npm SDK as a real client of the gateway (checklist 24): {@code
 * src/test/node/sdk-check.mjs} lists the models, asks for a completion with and without streaming, with
 * logprobs and for an unknown model, and prints what it saw as one JSON object.
 *
 * <p>The SDK is installed by {@code scripts/check.sh} (npm, pinned in {@code src/test/node/package.json}), not
 * by this test. Without node or the SDK the test is skipped, except when {@code CI=true}, where it fails.
 */
class OpenAiSdkTest {
    private static final Path NODE_DIR = Path.of("src/test/node");
    private static final Path SCRIPT = NODE_DIR.resolve("sdk-check.mjs");

    private static Vertx vertx;
    private static FakeModelServer fake;
    private static TestGateway gateway;

    private static String missing;

    @BeforeAll
    static void start() {
        missing = missingPrerequisite();
        if (missing != null) {
            return; // reported by each test, so that a skip shows up as skipped tests with the reason
        }
        vertx = Vertx.vertx();
        fake = FakeModelServer.start(vertx);
        gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake)));
    }

    @BeforeEach
    void requireNodeAndTheSdk() {
        if (missing == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail(missing + " (CI=true: the SDK check must run; scripts/check.sh installs the SDK when npm is present)");
        }
        Assumptions.abort(missing + ": run scripts/check.sh, which installs the openai SDK with npm");
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
            fake.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static String missingPrerequisite() {
        try {
            Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            node.getInputStream().readAllBytes();
            if (!node.waitFor(10, TimeUnit.SECONDS) || node.exitValue() != 0) {
                return "node does not run";
            }
        } catch (IOException e) {
            return "node is not on the PATH";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (!Files.isRegularFile(NODE_DIR.resolve("node_modules/openai/package.json"))) {
            return "the openai npm module is not installed in " + NODE_DIR + "/node_modules";
        }
        return null;
    }

    /** Runs the SDK script against the gateway and returns its scenarios, none of which may have failed. */
    private static JsonNode runSdk(String model, String... expectErrorIn) throws Exception {
        Process process = new ProcessBuilder("node", SCRIPT.toString(), gateway.url(), model).start();
        CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("sdk-check.mjs did not finish within 60 s");
        }
        String err = new String(stderr.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("node exit status; stderr: " + err).isZero();
        JsonNode results = GatewayClient.json(new String(stdout, StandardCharsets.UTF_8));
        List<String> failed = new ArrayList<>();
        results.properties().forEach(e -> {
            if (e.getValue().has("error") && !List.of(expectErrorIn).contains(e.getKey())) {
                failed.add(e.getKey() + ": " + e.getValue());
            }
        });
        assertThat(failed).as("scenarios the SDK could not complete").isEmpty();
        return results;
    }

    @Test
    void theSdkConsumesTheBuiltinModel() throws Exception {
        JsonNode r = runSdk("builtin", "unknownModel");

        assertThat(r.path("models").path("ids")).extracting(JsonNode::asText).contains("builtin", "fake-model");

        JsonNode whole = r.path("nonStream");
        assertThat(whole.path("object").asText()).isEqualTo("chat.completion");
        assertThat(whole.path("content").asText()).isNotEmpty();
        assertThat(whole.path("finish").asText()).isIn("stop", "length");
        assertThat(whole.path("usage").path("completion_tokens").asInt()).isPositive();

        JsonNode stream = r.path("stream");
        assertThat(stream.path("content").asText()).as("same seed, same text").isEqualTo(whole.path("content").asText());
        assertThat(stream.path("finish").asText()).isEqualTo(whole.path("finish").asText());
        assertThat(stream.path("usage").path("completion_tokens").asInt())
                .isEqualTo(whole.path("usage").path("completion_tokens").asInt());
        assertThat(stream.path("roles").asInt()).as("exactly one role").isEqualTo(1);
        assertThat(stream.path("ids").asInt()).as("one id").isEqualTo(1);

        JsonNode logprobs = r.path("streamLogprobs");
        assertThat(logprobs.path("tokens").asInt()).isPositive();
        assertThat(logprobs.path("withLogprobs").asInt()).isEqualTo(logprobs.path("tokens").asInt());

        assertThat(r.path("unknownModel").path("status").asInt()).isEqualTo(404);
    }

    @Test
    void theSdkConsumesTheOpenAiTranscriptRelayedFromAnUpstream() throws Exception {
        JsonNode r = runSdk("fake-model", "unknownModel");

        JsonNode whole = r.path("nonStream");
        assertThat(whole.path("object").asText()).isEqualTo("chat.completion");
        assertThat(whole.path("content").asText()).isEqualTo("Hello, wörld 🌍");
        assertThat(whole.path("finish").asText()).isEqualTo("stop");
        assertThat(whole.path("usage").path("total_tokens").asInt()).isEqualTo(13);

        JsonNode stream = r.path("stream");
        assertThat(stream.path("content").asText()).isEqualTo("Hello, wörld 🌍");
        assertThat(stream.path("finish").asText()).isEqualTo("stop");
        assertThat(stream.path("usage").path("total_tokens").asInt()).as("usage in the stream when asked").isEqualTo(13);
        assertThat(stream.path("roles").asInt()).isEqualTo(1);
        assertThat(stream.path("ids").asInt()).isEqualTo(1);
        assertThat(stream.path("chunks").asInt()).as("role, three deltas, finish, usage").isEqualTo(6);

        JsonNode logprobs = r.path("streamLogprobs");
        assertThat(logprobs.path("tokens").asInt()).isEqualTo(3);
        assertThat(logprobs.path("withLogprobs").asInt()).as("the upstream sent none: none invented").isZero();

        assertThat(r.path("unknownModel").path("status").asInt()).isEqualTo(404);
        assertThat(r.path("unknownModel").path("error").asText()).contains("no-such-model");
    }
}
