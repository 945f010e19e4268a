package org.neuralpipeline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder while the server is written. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the service.")
final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("not yet");
    }
}
