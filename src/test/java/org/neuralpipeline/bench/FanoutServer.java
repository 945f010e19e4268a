package org.neuralpipeline.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service under test in its own JVM ({@code java -jar neural-pipeline.jar serve}), so that its CPU time,
 * memory and descriptors can be read from {@code /proc/<pid>} apart from the load tool's. Local probing is
 * off; the ingest socket is on, in the bench folder. Everything else is the default configuration.
 */
final class FanoutServer implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final Path socket;
    private final Path log;
    private final Path jcmd;

    private FanoutServer(Process process, int port, Path socket, Path log, Path jcmd) {
        this.process = process;
        this.port = port;
        this.socket = socket;
        this.log = log;
        this.jcmd = jcmd;
    }

    /**
     * Starts the server and waits until {@code /health/live} answers and the ingest socket exists.
     *
     * @param jvmOptions extra JVM options, e.g. {@code -XX:StartFlightRecording=...}
     * @param env        extra environment (broadcast limits)
     */
    static FanoutServer start(Path java, Path jar, List<String> jvmOptions, Map<String, String> env, Path dir,
            String name) throws IOException, InterruptedException {
        int port = freePort();
        Path socket = dir.resolve(name + ".sock");
        Path log = dir.resolve(name + ".log");
        Files.createDirectories(dir);
        Files.deleteIfExists(socket);
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "serve", "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--log-format", "json"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("NEURAL_PIPELINE_PROBE_LOCAL", "false");
        builder.environment().put("NEURAL_PIPELINE_BROADCAST_INGEST_SOCKET", socket.toString());
        builder.environment().putAll(env);
        FanoutServer server = new FanoutServer(builder.start(), port, socket, log,
                java.resolveSibling("jcmd"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!server.process.isAlive()) {
                throw new IOException("the server exited with status " + server.process.exitValue()
                        + " before it was ready; its output is in " + log + ":\n" + server.logTail(20));
            }
            if (server.status("/health/live") == 200 && Files.exists(socket)) {
                return server;
            }
            if (System.nanoTime() > deadline) {
                server.close();
                throw new IOException("the server was not ready within 60 s; its output is in " + log + ":\n"
                        + server.logTail(20));
            }
            Thread.sleep(100); // the tool's main thread
        }
    }

    long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    Path socket() {
        return socket;
    }

    Path log() {
        return log;
    }

    boolean alive() {
        return process.isAlive();
    }

    int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** {@code GET /metrics} as {@code name{labels} → value}. */
    Map<String, Double> metrics() throws IOException, InterruptedException {
        String text = HTTP.send(HttpRequest.newBuilder(uri("/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> values = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                // a value we do not need
            }
        }
        return values;
    }

    /** The sum of every series of {@code name} whose labels contain each of {@code labels}. */
    static double sum(Map<String, Double> metrics, String name, String... labels) {
        double total = 0;
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            String key = e.getKey();
            if (key.equals(name) || key.startsWith(name + "{")) {
                boolean all = true;
                for (String label : labels) {
                    all &= key.contains(label);
                }
                if (all) {
                    total += e.getValue();
                }
            }
        }
        return total;
    }

    /** Heap in use right after a full GC ({@code jcmd GC.run}), in bytes; -1 when jcmd fails. */
    long heapAfterGc() throws IOException, InterruptedException {
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run").redirectErrorStream(true)
                .start();
        gc.getInputStream().readAllBytes();
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            return -1;
        }
        return (long) sum(metrics(), "jvm_memory_used_bytes", "area=\"heap\"");
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Lines of the server's log that report a warning or an error. */
    long logProblems() {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\"")).count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** SIGTERM (a clean shutdown; also writes a JFR recording if one was asked for), then SIGKILL. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
