package org.neuralpipeline.cli;

/** Process exit codes, shared by every command (BSD sysexits where one fits). */
final class ExitCodes {
    static final int OK = 0;
    /** A runtime failure the user may retry: network error, stream failed. */
    static final int FAILURE = 1;
    /** Bad command line or configuration (picocli's own usage errors use 2 as well). */
    static final int USAGE = 2;
    /** Input could not be read or was malformed beyond what the command accepts. */
    static final int DATA = 65;
    static final int IO = 74;
    /** An unexpected error: a bug. */
    static final int SOFTWARE = 70;

    private ExitCodes() {
    }
}
