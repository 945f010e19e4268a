package org.neuralpipeline.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and keeps what it printed. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs with {@code stdin} as standard input (for commands that read '-'). */
    static synchronized CliRun withStdin(byte[] stdin, String... args) {
        InputStream original = System.in;
        System.setIn(new ByteArrayInputStream(stdin));
        try {
            return of(args);
        } finally {
            System.setIn(original);
        }
    }
}
