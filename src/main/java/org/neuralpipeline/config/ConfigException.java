package org.neuralpipeline.config;

/** An invalid configuration value: names the key, the value and what was expected. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String key, Object value, String expected) {
        super(key + ": " + (value instanceof String s ? '"' + s + '"' : String.valueOf(value))
                + " (expected: " + expected + ")", null, false, false);
    }
}
