package org.neuralpipeline.cli;

import java.io.PrintWriter;
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
        description = "Run the gateway on 127.0.0.1:8765 by default: OpenAI-compatible /v1 API, health, metrics.")
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
            app = Application.start(config);
        } catch (Application.StartupException e) {
            throw new CliException(ExitCodes.FAILURE, e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Neural Pipeline is running at " + app.url() + "  (Ctrl-C stops)");
        out.println("  models:  " + (app.served().isEmpty() ? "none yet" : String.join("; ", app.served())));
        out.println("  try:     ./neural-pipeline chat \"Hello\"   or   curl " + app.url() + "/v1/models");
        out.println("  health:  " + app.url() + "/health   metrics: " + app.url() + "/metrics");
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
