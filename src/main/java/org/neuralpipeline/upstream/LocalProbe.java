package org.neuralpipeline.upstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Finds model servers on this machine when none is configured: asks each candidate's {@code /models}
 * concurrently with a short deadline and keeps those that answered with a model list (possibly empty: a
 * running LM Studio without a loaded model still answers). A closed port fails at once (connection
 * refused); a silent one costs at most the timeout, since all candidates are asked at the same time.
 */
public final class LocalProbe {

    /** A server to try: the upstream name it gets and its OpenAI API root. */
    public record Candidate(String name, String baseUrl) {
        public Candidate {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(baseUrl, "baseUrl");
        }
    }

    /** LM Studio's and Ollama's default addresses. */
    public static final List<Candidate> DEFAULT_CANDIDATES = List.of(
            new Candidate("lmstudio", "http://127.0.0.1:1234/v1"),
            new Candidate("ollama", "http://127.0.0.1:11434/v1"));

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    private LocalProbe() {
    }

    /** {@link #probe(Vertx, HttpClient, List, Duration)} with the default candidates and timeout. */
    public static Future<List<HttpUpstream>> probe(Vertx vertx, HttpClient client) {
        return probe(vertx, client, DEFAULT_CANDIDATES, DEFAULT_TIMEOUT);
    }

    /**
     * Probes every candidate at once. Never fails: the result lists, in candidate order, an upstream (default
     * settings, discovered models already cached) for each candidate that answered within {@code timeout}.
     */
    public static Future<List<HttpUpstream>> probe(Vertx vertx, HttpClient client, List<Candidate> candidates,
            Duration timeout) {
        List<HttpUpstream> upstreams = new ArrayList<>();
        List<Future<Boolean>> answers = new ArrayList<>();
        for (Candidate candidate : candidates) {
            HttpUpstream upstream = new HttpUpstream(new HttpUpstream.Settings(candidate.name(), candidate.baseUrl()),
                    vertx, client);
            upstreams.add(upstream);
            answers.add(upstream.discover(timeout)
                    .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .map(models -> true)
                    .otherwise(false));
        }
        return Future.all(answers).map(all -> {
            List<HttpUpstream> found = new ArrayList<>();
            for (int i = 0; i < upstreams.size(); i++) {
                if (answers.get(i).result()) {
                    found.add(upstreams.get(i));
                }
            }
            return List.copyOf(found);
        });
    }
}
