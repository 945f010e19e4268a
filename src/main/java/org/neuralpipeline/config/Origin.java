package org.neuralpipeline.config;

import java.util.Locale;

/**
 * Where an effective value came from, for {@code config print} and for error messages.
 *
 * @param kind the layer
 * @param name the file, environment variable or flag that set it ({@code default} for defaults)
 */
public record Origin(Kind kind, String name) {
    public static final Origin DEFAULT = new Origin(Kind.DEFAULT, "default");

    /** The layers, lowest precedence first. */
    public enum Kind { DEFAULT, FILE, ENV, FLAG }

    static Origin file(String file) {
        return new Origin(Kind.FILE, file);
    }

    static Origin env(String variable) {
        return new Origin(Kind.ENV, variable);
    }

    static Origin flag(String flag) {
        return new Origin(Kind.FLAG, flag);
    }

    /** {@code default}, {@code file my.yaml}, {@code env NEURAL_PIPELINE_SERVER_PORT}, {@code flag --port}. */
    @Override
    public String toString() {
        return kind == Kind.DEFAULT ? name : kind.name().toLowerCase(Locale.ROOT) + " " + name;
    }
}
