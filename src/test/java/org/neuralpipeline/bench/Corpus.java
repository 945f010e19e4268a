package org.neuralpipeline.bench;

/**
 * A generated event stream and what a spec-conforming parser must find in it.
 *
 * @param name the {@code corpus} parameter value that selects it
 * @param bytes the stream, exactly as a server would send it
 * @param events how many events a parser must dispatch
 * @param checksum {@link EventChecksum} over those events, in order
 * @param ownBytes heap bytes the dispatched events need for themselves: their {@code data} strings, the
 *     {@code type} and {@code id} strings that the stream spelled out for that event, and one
 *     {@link org.neuralpipeline.sse.SseEvent}; see {@link EventChecksum#retainedSize(String)}
 * @param typeAndIdBytes the part of {@code ownBytes} taken by {@code type} and {@code id} strings
 * @param data every event's data as UTF-8, back to back, for {@link StringFloorBenchmark}
 * @param dataEnds where each event's data ends in {@code data}
 */
record Corpus(String name, byte[] bytes, int events, long checksum, long ownBytes, long typeAndIdBytes, byte[] data,
        int[] dataEnds) {

    /** Minimum size of each corpus: 50 MiB. */
    static final int MIN_BYTES = 50 << 20;

    static Corpus named(String name) {
        return switch (name) {
            case "openai" -> OpenAiCorpus.generate(OpenAiCorpus.SEED, MIN_BYTES);
            case "mixed" -> MixedCorpus.generate(MixedCorpus.SEED, MIN_BYTES);
            default -> throw new IllegalArgumentException("corpus: " + name + " (expected: openai or mixed)");
        };
    }

    double ownBytesPerEvent() {
        return (double) ownBytes / events;
    }

    double typeAndIdBytesPerEvent() {
        return (double) typeAndIdBytes / events;
    }
}
