package org.neuralpipeline.config;

/**
 * Bounds on what a client may send.
 *
 * @param maxBodyBytes largest request body accepted, in bytes; a larger one is refused with 413
 */
public record LimitsConfig(long maxBodyBytes) {
    public static final long DEFAULT_MAX_BODY_BYTES = 4L * 1024 * 1024;
    public static final LimitsConfig DEFAULTS = new LimitsConfig(DEFAULT_MAX_BODY_BYTES);

    static final long MIN_BODY_BYTES = 1024;
    /** Bodies are held in memory: a gigabyte of JSON is a mistake, not a prompt. */
    static final long MAX_BODY_BYTES = 1024L * 1024 * 1024;
    static final String MAX_BODY_BYTES_EXPECTED = "1KiB to 1GiB";

    public LimitsConfig {
        if (maxBodyBytes < MIN_BODY_BYTES || maxBodyBytes > MAX_BODY_BYTES) {
            throw ConfigException.described("limits.max_body_bytes", Values.formatSize(maxBodyBytes),
                    MAX_BODY_BYTES_EXPECTED);
        }
    }
}
