package org.neuralpipeline.config;

import java.util.Locale;
import java.util.Set;

/**
 * What the service logs and how.
 *
 * @param format     {@code auto} (coloured text on a terminal, JSON lines otherwise), {@code json} or
 *                   {@code text}; stored in lower case
 * @param logPrompts whether prompt and completion text may appear in logs (off: only sizes and ids)
 */
public record LoggingConfig(String format, boolean logPrompts) {
    // before DEFAULTS, whose construction reads it
    private static final Set<String> FORMATS = Set.of("auto", "json", "text");

    public static final String DEFAULT_FORMAT = "auto";
    public static final boolean DEFAULT_LOG_PROMPTS = false;
    public static final LoggingConfig DEFAULTS = new LoggingConfig(DEFAULT_FORMAT, DEFAULT_LOG_PROMPTS);

    static final String FORMAT_EXPECTED = "auto, json or text";

    public LoggingConfig {
        String normalized = format == null ? null : format.strip().toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(normalized)) {
            throw new ConfigException("logging.format", format, FORMAT_EXPECTED);
        }
        format = normalized;
    }
}
