package org.neuralpipeline.config;

import java.net.URI;
import java.time.Duration;

/**
 * An invalid configuration value: names the key, the value and what was expected, as
 * {@code key: "value" (expected: …)}. Strings and URLs are quoted, numbers and durations are not, and a
 * value that is absent reads {@code missing}.
 *
 * <p>The key is whatever the user wrote: a path in the file ({@code upstreams[1].url}), an environment
 * variable ({@code NEURAL_PIPELINE_SERVER_PORT}) or a flag ({@code --port}). Records throw with their
 * canonical key; {@link ConfigLoader} re-labels the exception with the name of the source that supplied
 * the value.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String shownValue;
    private final String expected;

    public ConfigException(String key, Object value, String expected) {
        this(key, show(value), expected, 0);
    }

    private ConfigException(String key, String shownValue, String expected, int unused) {
        super(key + ": " + shownValue + " (expected: " + expected + ")", null, false, false);
        this.key = key;
        this.shownValue = shownValue;
        this.expected = expected;
    }

    /**
     * An error whose value is described rather than quoted: {@code unknown key}, {@code a list},
     * {@code line 3, column 7: mapping values are not allowed here}.
     */
    static ConfigException described(String key, String description, String expected) {
        return new ConfigException(key, description, expected, 0);
    }

    /** The key as it appears in the message. */
    public String key() {
        return key;
    }

    /** What a valid value looks like. */
    public String expected() {
        return expected;
    }

    /** The same error reported under another key (where the user wrote the value). */
    ConfigException withKey(String newKey) {
        return new ConfigException(newKey, shownValue, expected, 0);
    }

    /** The same expectation, reported under another key with the text the user wrote as the value. */
    ConfigException withKeyAndValue(String newKey, String value) {
        return new ConfigException(newKey, show(value), expected, 0);
    }

    private static String show(Object value) {
        if (value == null) {
            return "missing";
        }
        if (value instanceof CharSequence || value instanceof URI) {
            return '"' + value.toString() + '"';
        }
        if (value instanceof Duration d) {
            return Values.formatDuration(d);
        }
        return String.valueOf(value);
    }
}
