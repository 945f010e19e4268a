package org.neuralpipeline.config;

import java.nio.file.Path;
import java.util.List;

/**
 * What the user set on the command line; null (or empty) means "not given". Flags win over the
 * environment, which wins over the file, which wins over the defaults.
 *
 * @param config    {@code --config FILE}: the YAML file to read (else {@code $NEURAL_PIPELINE_CONFIG}, else none)
 * @param host      {@code --host}
 * @param port      {@code --port}
 * @param upstreams {@code --upstream NAME=URL}, in order: each adds an upstream to those configured, or
 *                  re-points the configured upstream of that name at URL (keeping its other settings)
 * @param logFormat {@code --log-format}
 */
public record ConfigFlags(Path config, String host, Integer port, List<String> upstreams, String logFormat) {
    public static final ConfigFlags NONE = new ConfigFlags(null, null, null, List.of(), null);

    public ConfigFlags {
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    }
}
