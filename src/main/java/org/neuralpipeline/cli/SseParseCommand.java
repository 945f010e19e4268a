package org.neuralpipeline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.neuralpipeline.sse.SseLimitExceededException;
import org.neuralpipeline.sse.SseParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sse parse [FILE|-] [--chunk-size N]}: runs the parser over a file or stdin and prints each
 * dispatched event as NDJSON, then one end line. Feeding N bytes at a time must never change the output,
 * which makes this a tool for checking a capture as much as for debugging the parser.
 */
@Command(name = "parse", mixinStandardHelpOptions = true,
        description = "Parse an event stream (a file, or - for standard input) and print its events as NDJSON.")
final class SseParseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE|-", defaultValue = "-",
            description = "The event stream to read; '-' (the default) reads standard input.")
    String file;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "8192",
            description = "Feed the parser N bytes at a time (default: ${DEFAULT-VALUE}). Output never depends on N.")
    int chunkSize;

    @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "Maximum size of one line and of one event's data (default: ${DEFAULT-VALUE}).")
    int maxBytes;

    @Override
    public Integer call() throws IOException {
        if (chunkSize < 1) {
            throw new CliException(ExitCodes.USAGE, "--chunk-size: " + chunkSize + " (expected: 1 or more)");
        }
        if (maxBytes < 1) {
            throw new CliException(ExitCodes.USAGE, "--max-bytes: " + maxBytes + " (expected: 1 or more)");
        }
        PrintWriter out = spec.commandLine().getOut();
        SseParser parser = new SseParser(event -> out.println(EventLines.event(event)), maxBytes, maxBytes);
        try (InputStream in = open()) {
            byte[] chunk = new byte[chunkSize];
            int n;
            while ((n = in.readNBytes(chunk, 0, chunkSize)) > 0) {
                parser.feed(chunk, 0, n);
            }
            parser.end();
        } catch (SseLimitExceededException e) {
            out.flush();
            throw new CliException(ExitCodes.DATA, "stream rejected: " + e.getMessage());
        }
        out.println(EventLines.end(parser.lastEventId(), parser.retryMillis()));
        out.flush();
        return ExitCodes.OK;
    }

    private InputStream open() throws IOException {
        if ("-".equals(file)) {
            return System.in;
        }
        try {
            return Files.newInputStream(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.IO, file + ": no such file");
        } catch (IOException e) {
            throw new CliException(ExitCodes.IO, file + ": " + e.getMessage());
        }
    }
}
