package org.neuralpipeline.config;

/**
 * The built-in model, served as the upstream named {@code builtin} so that the gateway and the
 * broadcast work without any model server.
 *
 * @param enabled         whether it is offered at all
 * @param tokensPerSecond pace of its stream; 0 emits as fast as possible
 */
public record BuiltinConfig(boolean enabled, double tokensPerSecond) {
    public static final boolean DEFAULT_ENABLED = true;
    public static final double DEFAULT_TOKENS_PER_SECOND = 30.0;
    public static final BuiltinConfig DEFAULTS = new BuiltinConfig(DEFAULT_ENABLED, DEFAULT_TOKENS_PER_SECOND);

    static final String TOKENS_PER_SECOND_EXPECTED = "a number, 0 or more (0 = as fast as possible)";

    public BuiltinConfig {
        if (!(tokensPerSecond >= 0) || Double.isInfinite(tokensPerSecond)) {
            throw new ConfigException("builtin.tokens_per_second", tokensPerSecond, TOKENS_PER_SECOND_EXPECTED);
        }
    }
}
