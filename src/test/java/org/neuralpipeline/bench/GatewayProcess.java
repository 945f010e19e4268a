package org.neuralpipeline.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway under test, in its own JVM ({@code java -jar neural-pipeline.jar serve}), so that its CPU
 * time and memory can be read from {@code /proc/<pid>} apart from the load generator's. The built-in model
 * and local probing are off, so the synthetic upstream is its only model server.
 *
 * <p>Or, for scale, a plain nginx reverse proxy in the gateway's place ({@link #startNginx}): one process
 * with one event loop like the gateway's, unbuffered, keep-alive to the upstream, no logs.
 */
final class GatewayProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;
    private final List<String> command;

    private GatewayProcess(Process process, int port, Path log, List<String> command) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.command = command;
    }

    /**
     * Starts the gateway in front of {@code upstreamPort} and waits until {@code /health/ready} answers 200.
     *
     * @param jvmOptions extra JVM options (for example {@code -XX:StartFlightRecording=...})
     */
    static GatewayProcess start(Path java, Path jar, List<String> jvmOptions, int upstreamPort, Path log,
            LoadClient probe, Duration readyWithin) throws IOException, InterruptedException {
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "serve",
                "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--upstream", SyntheticUpstream.MODEL + "=http://127.0.0.1:" + upstreamPort + "/v1",
                "--log-format", "json"));
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("NEURAL_PIPELINE_BUILTIN_ENABLED", "false");
        builder.environment().put("NEURAL_PIPELINE_PROBE_LOCAL", "false");
        Process process = builder.start();
        GatewayProcess gateway = new GatewayProcess(process, port, log, command);
        long deadline = System.nanoTime() + readyWithin.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the gateway exited with status " + process.exitValue() + " before it was ready; "
                        + "its output is in " + log + ":\n" + gateway.logTail(20));
            }
            if (probe.status(port, "/health/ready") == 200) {
                return gateway;
            }
            if (System.nanoTime() > deadline) {
                gateway.close();
                throw new IOException("the gateway did not report ready on /health/ready within " + readyWithin
                        + "; its output is in " + log + ":\n" + gateway.logTail(20));
            }
            Thread.sleep(100); // the load tool's main thread, not an event loop
        }
    }

    /**
     * Starts {@code nginx} in the foreground as one process ({@code master_process off}, so its pid is the one
     * doing the work) proxying to {@code upstreamPort} without buffering, and waits until it answers.
     */
    static GatewayProcess startNginx(Path nginx, int upstreamPort, Path dir, LoadClient probe, Duration readyWithin)
            throws IOException, InterruptedException {
        int port = freePort();
        Files.createDirectories(dir);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                worker_rlimit_nofile 20000;
                events { worker_connections 16384; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream bench { server 127.0.0.1:%2$d; keepalive 2000; }
                    server {
                        listen 127.0.0.1:%3$d backlog=4096;
                        location / {
                            proxy_pass http://bench;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                            proxy_request_buffering off;
                        }
                    }
                }
                """.formatted(dir.toAbsolutePath(), upstreamPort, port));
        List<String> command = List.of(nginx.toString(), "-c", conf.toAbsolutePath().toString(), "-p",
                dir.toAbsolutePath().toString());
        Path log = dir.resolve("output.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        GatewayProcess proxy = new GatewayProcess(process, port, log, command);
        long deadline = System.nanoTime() + readyWithin.toNanos();
        while (probe.status(port, "/v1/models") != 200) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                proxy.close();
                throw new IOException("nginx did not answer /v1/models within " + readyWithin + "; see " + log + " and "
                        + dir.resolve("error.log") + ":\n" + proxy.logTail(20));
            }
            Thread.sleep(100);
        }
        return proxy;
    }

    long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    List<String> command() {
        return command;
    }

    boolean alive() {
        return process.isAlive();
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (a clean shutdown, which also writes a JFR recording if one was asked for), then SIGKILL. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
