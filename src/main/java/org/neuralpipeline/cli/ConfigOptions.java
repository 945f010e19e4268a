package org.neuralpipeline.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.neuralpipeline.config.ConfigException;
import org.neuralpipeline.config.ConfigFlags;
import org.neuralpipeline.config.ConfigLoader;
import org.neuralpipeline.config.LoadedConfig;
import org.neuralpipeline.config.Origin;
import org.neuralpipeline.observability.LogSetup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options that shape the configuration, shared by {@code serve} and {@code config print}, and the
 * one place that turns them, the environment and the file into a {@link LoadedConfig}. An invalid value
 * is a usage error (exit 2) whose message names the key, the value and what was expected.
 */
final class ConfigOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (default: $" + ConfigLoader.CONFIG_ENV + ", else none). "
                    + "'neural-pipeline config example' writes a commented one.")
    Path config;

    @Option(names = "--host", paramLabel = "HOST",
            description = "Address to listen on (server.host; default 127.0.0.1). Use 0.0.0.0 to accept remote clients.")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "TCP port (server.port; default 8765; 0 picks a free one).")
    Integer port;

    @Option(names = "--upstream", paramLabel = "NAME=URL",
            description = "An OpenAI-compatible model server, e.g. lmstudio=http://127.0.0.1:1234/v1. Repeatable; "
                    + "adds to the configured upstreams, or re-points the configured one of that name.")
    List<String> upstreams = new ArrayList<>();

    /** The effective configuration: these flags, then the environment, then the file, then the defaults. */
    LoadedConfig load() {
        String logFormat = mixee.root().userObject() instanceof Cli cli && cli.logFormat != null
                ? cli.logFormat.name().toLowerCase(Locale.ROOT) : null;
        try {
            return ConfigLoader.loadWithOrigins(new ConfigFlags(config, host, port, upstreams, logFormat),
                    System.getenv());
        } catch (ConfigException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /**
     * Applies {@code logging.format} when the file set it; a flag or environment variable has been applied
     * already, before the file was read, and {@code -Dnp.log.format} keeps precedence over the default.
     */
    static void applyLogFormat(LoadedConfig loaded) {
        if (loaded.origin("logging.format").kind() == Origin.Kind.FILE) {
            LogSetup.apply(LogSetup.Format.valueOf(loaded.config().logging().format().toUpperCase(Locale.ROOT)));
        }
    }
}
