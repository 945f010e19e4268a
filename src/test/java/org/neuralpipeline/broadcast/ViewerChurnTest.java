package org.neuralpipeline.broadcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neuralpipeline.broadcast.BroadcastHubTest.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.observability.Metrics;
import org.neuralpipeline.testing.MeterSnapshot;

/**
 * 10,000 WebSocket viewers connect and leave (50 at a time, while messages flow): afterwards the process's open
 * file descriptors and its heap after GC are back at their baseline, and the hub holds no viewer. Client and
 * server share this JVM, so a leak on either side shows.
 */
class ViewerChurnTest {
    private static final int CYCLES = 10_000;
    private static final int PARALLEL = 50;

    @Test
    void tenThousandConnectDisconnectCyclesLeaveDescriptorsAndHeapAtBaseline() throws Exception {
        Vertx vertx = Vertx.vertx();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BroadcastHub hub = new BroadcastHub(vertx, BroadcastConfig.DEFAULTS, new Metrics(registry).broadcast(),
                InstantSource.system(), System::nanoTime).start();
        try {
            ViewerEndpoints viewers = new ViewerEndpoints(hub);
            HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(64 * 1024))
                    .requestHandler(viewers::webSocket).listen(0, "127.0.0.1"));
            WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setMaxConnections(PARALLEL * 2));
            long ticker = vertx.setPeriodic(1, id -> hub.publish(TestMessage.token("tick")));

            churn(client, server.actualPort(), 500); // warm up: classes, pools, JIT
            settle(hub);
            long fdsBefore = openFiles();
            long heapBefore = heapAfterGc();

            long started = System.nanoTime();
            churn(client, server.actualPort(), CYCLES);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            vertx.cancelTimer(ticker);
            settle(hub);

            long fdsAfter = openFiles();
            long heapAfter = heapAfterGc();
            assertThat(seconds).as("10,000 cycles took %d s", seconds).isLessThan(60);
            assertThat(hub.viewers()).isZero();
            assertThat(await(hub.queueDepths())).isEmpty();
            assertThat(fdsAfter).as("open files before %d, after %d", fdsBefore, fdsAfter)
                    .isLessThanOrEqualTo(fdsBefore + 10);
            assertThat(heapAfter - heapBefore).as("heap after GC grew from %d to %d bytes", heapBefore, heapAfter)
                    .isLessThan(16L << 20);
            assertThat(MeterSnapshot.of(registry))
                    .containsEntry("neural_pipeline.broadcast.viewers{transport=websocket}", 0.0)
                    .containsEntry("neural_pipeline.broadcast.viewers.closed{reason=client,transport=websocket}",
                            (double) CYCLES + 500);
        } finally {
            await(hub.close());
            await(vertx.close());
        }
    }

    /** {@code cycles} connect-then-close cycles, {@value #PARALLEL} chains side by side. */
    private static void churn(WebSocketClient client, int port, int cycles) {
        List<Future<Void>> chains = new ArrayList<>();
        for (int i = 0; i < PARALLEL; i++) {
            chains.add(chain(client, port, cycles / PARALLEL));
        }
        try {
            Future.all(chains).await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Future<Void> chain(WebSocketClient client, int port, int left) {
        if (left == 0) {
            return Future.succeededFuture();
        }
        return client.connect(port, "127.0.0.1", "/ws")
                .compose(ws -> ws.close())
                .compose(v -> chain(client, port, left - 1));
    }

    /** Waits until the server has seen every close. */
    private static void settle(BroadcastHub hub) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (hub.viewers() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        LockSupport.parkNanos(200_000_000); // sockets closing after their close handshake
    }

    private static long openFiles() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
