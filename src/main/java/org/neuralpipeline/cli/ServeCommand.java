package org.neuralpipeline.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.neuralpipeline.app.Application;
import org.neuralpipeline.config.ConfigException;
import org.neuralpipeline.config.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code serve}: runs the HTTP service until interrupted (Ctrl-C or SIGTERM stops it cleanly). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the service: health and Prometheus metrics on 127.0.0.1:8765 by default.")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "Address to listen on (default: ${DEFAULT-VALUE}). Use 0.0.0.0 to accept remote clients.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + ServerConfig.DEFAULT_PORT,
            description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config;
        try {
            config = new ServerConfig(host, port);
        } catch (ConfigException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        Application app;
        try {
            app = Application.start(config);
        } catch (Application.StartupException e) {
            throw new CliException(ExitCodes.FAILURE, e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        spec.commandLine().getOut().println("Neural Pipeline is running at " + app.url()
                + "  (health: " + app.url() + "/health/live, metrics: " + app.url() + "/metrics; Ctrl-C stops)");
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
