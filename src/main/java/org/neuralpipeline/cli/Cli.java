package org.neuralpipeline.cli;

import java.io.PrintWriter;
import org.neuralpipeline.observability.LogSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The command line: {@code neural-pipeline <command>}. Exit codes are in {@link ExitCodes}. */
@Command(
        name = "neural-pipeline",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description = "OpenAI-compatible streaming gateway and live token broadcast for local language models.",
        subcommands = {ServeCommand.class, ChatCommand.class, ConfigCommand.class, SseCommand.class})
public final class Cli {
    /** The {@code --log-format} given, or null; the configuration shows it as a flag. */
    LogSetup.Format logFormat;

    @Option(
            names = "--log-format",
            scope = ScopeType.INHERIT,
            paramLabel = "auto|json|text",
            description = "Log format: 'text' (coloured when on a terminal), 'json' (one JSON object per line), "
                    + "or 'auto' (text on a terminal, JSON otherwise). "
                    + "Default: auto, or $NEURAL_PIPELINE_LOG_FORMAT.")
    void logFormat(LogSetup.Format format) {
        logFormat = format;
        LogSetup.apply(format);
    }

    /** Runs the command line and returns the process exit code. */
    public static int run(String[] args) {
        return run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    static int run(String[] args, PrintWriter out, PrintWriter err) {
        LogSetup.apply(LogSetup.Format.fromSystemProperty());
        CommandLine cli = new CommandLine(new Cli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("neural-pipeline: " + messageOf(ex));
            return ex instanceof CliException cliEx ? cliEx.exitCode() : ExitCodes.SOFTWARE;
        });
        return cli.execute(args);
    }

    private static String messageOf(Throwable ex) {
        return ex.getMessage() != null ? ex.getMessage() : ex.toString();
    }

    /** Reads the version the build wrote into the jar manifest. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"neural-pipeline " + (v != null ? v : "development build"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
