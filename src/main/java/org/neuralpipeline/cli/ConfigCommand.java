package org.neuralpipeline.cli;

import java.util.concurrent.Callable;
import org.neuralpipeline.config.ConfigLoader;
import org.neuralpipeline.config.LoadedConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code neural-pipeline config …}: show the effective configuration, or write the commented example. */
@Command(
        name = "config",
        description = "Show the effective configuration, or print a commented example file.",
        mixinStandardHelpOptions = true,
        subcommands = {ConfigCommand.Print.class, ConfigCommand.Example.class})
final class ConfigCommand {

    /** {@code config print}: the effective configuration as YAML, secrets masked, each value's origin noted. */
    @Command(name = "print", mixinStandardHelpOptions = true,
            description = "Print the effective configuration (flags, environment, file, defaults) as YAML. "
                    + "Secrets are masked; a comment names where each value that is not a default came from.")
    static final class Print implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions options;

        @Override
        public Integer call() {
            LoadedConfig loaded = options.load();
            spec.commandLine().getOut().print(loaded.toYaml());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    /** {@code config example}: the commented example file, every option at its default. */
    @Command(name = "example", mixinStandardHelpOptions = true,
            description = "Print a commented configuration file with every option at its default: "
                    + "neural-pipeline config example > neural-pipeline.yaml")
    static final class Example implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(ConfigLoader.exampleYaml());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }
}
