package org.neuralpipeline.testing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.neuralpipeline.app.Application;
import org.neuralpipeline.config.BuiltinConfig;
import org.neuralpipeline.config.PipelineConfig;
import org.neuralpipeline.config.ServerConfig;
import org.neuralpipeline.config.TimeoutsConfig;
import org.neuralpipeline.config.UpstreamConfig;

/**
 * The real service ({@link Application#start}) on 127.0.0.1, port 0, for end-to-end tests of the gateway:
 * fake model servers as upstreams, the built-in model unpaced (rate 0), short deadlines, no probing of this
 * machine's ports. {@link #client()} talks to it; {@link #metrics()} reads {@code /metrics}.
 *
 * <pre>{@code
 * TestGateway gateway = TestGateway.start(TestGateway.config(TestGateway.upstream("fake", fake)));
 * GatewayClient.Stream s = gateway.client().stream(TestGateway.chatBody("fake-model", true));
 * }</pre>
 */
public final class TestGateway implements AutoCloseable {
    /** Deadlines for tests: long enough for a loaded machine, short enough to keep failures fast. */
    public static final TimeoutsConfig TIMEOUTS = new TimeoutsConfig(Duration.ofSeconds(2), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(10));

    private final Application app;
    private final GatewayClient client;

    private TestGateway(Application app) {
        this.app = app;
        this.client = new GatewayClient(app.url());
    }

    public static TestGateway start(PipelineConfig config) {
        return new TestGateway(Application.start(config));
    }

    /** Test defaults ({@link #TIMEOUTS}, built-in model at rate 0) with these upstreams, in this order. */
    public static PipelineConfig config(UpstreamConfig... upstreams) {
        return PipelineConfig.DEFAULTS
                .withServer(new ServerConfig("127.0.0.1", 0))
                .withProbeLocal(false)
                .withBuiltin(new BuiltinConfig(true, 0))
                .withTimeouts(TIMEOUTS)
                .withUpstreams(List.of(upstreams));
    }

    /** An upstream entry for a fake server, its models discovered from {@code GET /v1/models}. */
    public static UpstreamConfig upstream(String name, FakeModelServer server) {
        return UpstreamConfig.of(name, URI.create(server.baseUrl()));
    }

    /** Deadlines like {@link #TIMEOUTS} with one changed. */
    public static TimeoutsConfig timeouts(Duration firstToken, Duration idle, Duration total, Duration keepAlive) {
        return new TimeoutsConfig(TIMEOUTS.connect(), firstToken, idle, total, keepAlive);
    }

    /** A chat request body: one user message, optionally streamed, plus extra members ("\"seed\":7"). */
    public static String chatBody(String model, boolean stream, String... extra) {
        StringBuilder body = new StringBuilder("{\"model\":\"").append(model)
                .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],\"stream\":").append(stream);
        for (String e : extra) {
            body.append(',').append(e);
        }
        return body.append('}').toString();
    }

    public String url() {
        return app.url();
    }

    public GatewayClient client() {
        return client;
    }

    /**
     * {@code /metrics} as {@code name{label="value",…} → value}, exactly as the lines read, without comments.
     */
    public Map<String, Double> metrics() {
        String text = client.get("/metrics").body();
        Map<String, Double> values = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return values;
    }

    /**
     * The value of the series {@code name} whose labels are exactly {@code labels} (name, value, …, in any
     * order), or 0 when there is no such series yet.
     */
    public double metric(String name, String... labels) {
        return metric(metrics(), name, labels);
    }

    /** {@link #metric(String, String...)} on a scrape already taken. */
    public static double metric(Map<String, Double> scrape, String name, String... labels) {
        java.util.Set<String> wanted = new java.util.TreeSet<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.add(labels[i] + "=\"" + labels[i + 1] + "\"");
        }
        for (Map.Entry<String, Double> e : scrape.entrySet()) {
            String key = e.getKey();
            int brace = key.indexOf('{');
            String series = brace < 0 ? key : key.substring(0, brace);
            java.util.Set<String> has = new java.util.TreeSet<>();
            if (brace >= 0) {
                // label values here never contain commas or quotes
                for (String label : key.substring(brace + 1, key.length() - 1).split(",")) {
                    if (!label.isEmpty()) {
                        has.add(label);
                    }
                }
            }
            if (series.equals(name) && has.equals(wanted)) {
                return e.getValue();
            }
        }
        return 0;
    }

    /** The metric lines whose name starts with {@code prefix}, for failure messages and filtering. */
    public Map<String, Double> metrics(String prefix) {
        Map<String, Double> all = metrics();
        all.keySet().removeIf(k -> !k.startsWith(prefix));
        return all;
    }

    /**
     * Waits until {@code condition} holds (checking every few milliseconds, at most {@code timeout}): for
     * effects that another thread completes right after the event the test can observe.
     */
    public static void await(Duration timeout, BooleanSupplier condition, Supplier<String> describe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + timeout + ": " + describe.get());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
    }

    @Override
    public void close() {
        app.close();
    }
}
