package org.neuralpipeline.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.openai.ChatRequest;

/**
 * The catalogue logic alone. The upstreams here are in-memory stand-ins whose model listing the test
 * controls (the network side of model listing is tested in HttpUpstreamTest against a real server).
 */
class UpstreamPoolTest {

    /** An upstream whose model list (or failure) the test sets. */
    private static final class Listed implements Upstream {
        private final String name;
        volatile List<String> models;
        volatile boolean down;
        List<String> configured = List.of();

        Listed(String name, String... models) {
            this.name = name;
            this.models = List.of(models);
        }

        @Override
        public List<String> configuredModels() {
            return configured;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Future<List<String>> models() {
            return down ? Future.failedFuture(UpstreamException.of(UpstreamException.Kind.REFUSED, "refused", false))
                    : Future.succeededFuture(models);
        }

        @Override
        public UpstreamCall streamChat(ChatRequest request, CallContext context, StreamSink sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<ForwardedResponse> forward(ForwardedRequest request, CallContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Void> close() {
            return Future.succeededFuture();
        }
    }

    private static void refresh(UpstreamPool pool) throws Exception {
        pool.refresh().await(5, TimeUnit.SECONDS);
    }

    @Test
    void selectsTheUpstreamsServingAModelInConfiguredOrder() throws Exception {
        Listed a = new Listed("a", "m1", "m2");
        Listed b = new Listed("b", "m2");
        UpstreamPool pool = new UpstreamPool(List.of(a, b), Instant::now);
        refresh(pool);

        assertThat(pool.select("m2")).containsExactly(a, b);
        assertThat(pool.select("m1")).containsExactly(a);
        assertThat(pool.select("nope")).isEmpty();
        assertThat(pool.catalog()).containsEntry("m2", List.of("a", "b")).containsEntry("m1", List.of("a"));
        assertThat(pool.ready()).isTrue();
    }

    @Test
    void configuredModelsAreServedEvenByAnUpstreamDownSinceStartUp() throws Exception {
        Listed configured = new Listed("configured", "m");
        configured.configured = List.of("m");
        configured.down = true;
        Listed discovered = new Listed("discovered", "d");
        discovered.down = true;
        UpstreamPool pool = new UpstreamPool(List.of(configured, discovered), Instant::now);

        assertThat(pool.select("m")).as("before the first check").containsExactly(configured);
        assertThat(pool.refreshedAt()).as("no check has run yet").isEqualTo(Instant.EPOCH);
        refresh(pool);

        assertThat(pool.select("m")).containsExactly(configured);
        assertThat(pool.select("d")).as("discovered models are known only once listed").isEmpty();
        assertThat(pool.ready()).isFalse();
    }

    @Test
    void anUpstreamThatStopsAnsweringKeepsItsModelsButGoesLastAndIsNotReady() throws Exception {
        Listed a = new Listed("a", "m");
        Listed b = new Listed("b", "m");
        UpstreamPool pool = new UpstreamPool(List.of(a, b), Instant::now);
        refresh(pool);

        a.down = true;
        refresh(pool);
        assertThat(pool.select("m")).containsExactly(b, a);
        assertThat(pool.status().get(0).reachable()).isFalse();
        assertThat(pool.status().get(0).lastError()).isEqualTo("refused");
        assertThat(pool.ready()).isTrue();

        b.down = true;
        refresh(pool);
        assertThat(pool.ready()).as("no upstream answered its last check").isFalse();
        assertThat(pool.select("m")).containsExactly(a, b);
    }

    @Test
    void newModelsAppearAfterARefresh() throws Exception {
        Listed a = new Listed("a", "m");
        UpstreamPool pool = new UpstreamPool(List.of(a), Instant::now);
        refresh(pool);
        a.models = List.of("m", "n");
        refresh(pool);
        assertThat(pool.select("n")).containsExactly(a);
    }

    @Test
    void notReadyBeforeTheFirstCheck() {
        assertThat(new UpstreamPool(List.of(new Listed("a", "m")), Instant::now).ready()).isFalse();
    }
}
