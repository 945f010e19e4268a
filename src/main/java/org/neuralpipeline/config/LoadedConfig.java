package org.neuralpipeline.config;

import java.util.Map;

/**
 * The effective configuration together with where each value came from.
 *
 * @param config  the configuration
 * @param origins origin by key ({@code server.port}, {@code auth.api_keys}, {@code upstreams},
 *                {@code upstreams[0].url}); a key that is absent has its default
 */
public record LoadedConfig(PipelineConfig config, Map<String, Origin> origins) {
    public LoadedConfig {
        origins = Map.copyOf(origins);
    }

    /** Where the value of {@code key} came from; {@link Origin#DEFAULT} when nothing set it. */
    public Origin origin(String key) {
        return origins.getOrDefault(key, Origin.DEFAULT);
    }

    /**
     * The configuration as YAML in the shape of the file, secrets masked, each value that is not a
     * default followed by a comment naming its origin. Loading the output gives the same configuration,
     * except for masked API keys.
     */
    public String toYaml() {
        return ConfigYaml.write(this);
    }
}
