package org.neuralpipeline.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the service is configured with: one immutable tree, built by {@link ConfigLoader} from
 * defaults, the YAML file, the environment and the command line, and validated on construction. Every
 * option, its default and its sources are in docs/CONFIGURATION.md and in
 * {@code neural-pipeline.example.yaml} (which a test keeps equal to {@link #DEFAULTS}).
 *
 * @param server     where {@code serve} listens
 * @param limits     bounds on requests
 * @param timeouts   upstream deadlines and client keep-alives
 * @param upstreams  configured model servers, in order of preference; names are unique
 * @param probeLocal look for model servers on this machine at their usual ports as well
 * @param builtin    the built-in model
 * @param auth       client authentication
 * @param logging    log format and content
 */
public record PipelineConfig(ServerConfig server, LimitsConfig limits, TimeoutsConfig timeouts,
        List<UpstreamConfig> upstreams, boolean probeLocal, BuiltinConfig builtin, AuthConfig auth,
        LoggingConfig logging) {
    public static final boolean DEFAULT_PROBE_LOCAL = true;
    public static final PipelineConfig DEFAULTS = new PipelineConfig(ServerConfig.DEFAULTS, LimitsConfig.DEFAULTS,
            TimeoutsConfig.DEFAULTS, List.of(), DEFAULT_PROBE_LOCAL, BuiltinConfig.DEFAULTS, AuthConfig.DEFAULTS,
            LoggingConfig.DEFAULTS);

    static final String UNIQUE_NAME_EXPECTED = "a name no other upstream uses";

    public PipelineConfig {
        require(server, "server");
        require(limits, "limits");
        require(timeouts, "timeouts");
        require(upstreams, "upstreams");
        require(builtin, "builtin");
        require(auth, "auth");
        require(logging, "logging");
        upstreams = List.copyOf(upstreams);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < upstreams.size(); i++) {
            String name = upstreams.get(i).name();
            if (seen.putIfAbsent(name, i) != null) {
                throw new ConfigException("upstreams[" + i + "].name", name, UNIQUE_NAME_EXPECTED);
            }
        }
    }

    private static void require(Object part, String key) {
        if (part == null) {
            throw new ConfigException(key, null, "a " + key + " section");
        }
    }

    public PipelineConfig withServer(ServerConfig server) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withLimits(LimitsConfig limits) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withTimeouts(TimeoutsConfig timeouts) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withUpstreams(List<UpstreamConfig> upstreams) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withProbeLocal(boolean probeLocal) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withBuiltin(BuiltinConfig builtin) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withAuth(AuthConfig auth) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }

    public PipelineConfig withLogging(LoggingConfig logging) {
        return new PipelineConfig(server, limits, timeouts, upstreams, probeLocal, builtin, auth, logging);
    }
}
