package org.neuralpipeline.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.neuralpipeline.app.Application;
import org.neuralpipeline.config.LoadedConfig;
import org.neuralpipeline.config.PipelineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code serve}: runs the HTTP service until interrupted (Ctrl-C or SIGTERM stops it cleanly). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the service: health and Prometheus metrics on 127.0.0.1:8765 by default.")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws InterruptedException {
        LoadedConfig loaded = options.load();
        ConfigOptions.applyLogFormat(loaded);
        PipelineConfig config = loaded.config();
        Application app;
        try {
            app = Application.start(config.server());
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
