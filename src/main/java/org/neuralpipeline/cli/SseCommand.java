package org.neuralpipeline.cli;

import picocli.CommandLine.Command;

/** {@code neural-pipeline sse …}: tools for server-sent event streams. */
@Command(
        name = "sse",
        description = "Parse or fetch server-sent event streams, printing events as NDJSON.",
        mixinStandardHelpOptions = true,
        subcommands = {SseParseCommand.class, SseGetCommand.class})
final class SseCommand {
}
