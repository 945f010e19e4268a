package org.neuralpipeline;

import org.neuralpipeline.cli.Cli;

/** Hands the command line to {@link Cli}; nothing else. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(args));
    }
}
