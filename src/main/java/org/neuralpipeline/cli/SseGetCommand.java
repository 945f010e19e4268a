package org.neuralpipeline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder; the EventSource client command is being written. */
@Command(name = "get", description = "Connect to an event stream and print its events as NDJSON.")
final class SseGetCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("not yet");
    }
}
