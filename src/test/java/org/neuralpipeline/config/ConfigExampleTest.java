package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped example file can never drift from the defaults, and it documents every option. */
class ConfigExampleTest {
    private static final String EXAMPLE = ConfigLoader.exampleYaml();

    private static LoadedConfig load(String yaml, Map<String, String> env) {
        return ConfigLoader.load("neural-pipeline.example.yaml", yaml, ConfigFlags.NONE, env);
    }

    @Test
    void exampleIsExactlyTheDefaults() {
        assertThat(load(EXAMPLE, Map.of()).config()).isEqualTo(PipelineConfig.DEFAULTS);
    }

    @Test
    void exampleSetsEveryOptionExplicitly() {
        LoadedConfig loaded = load(EXAMPLE, Map.of());
        List<String> notInFile = new ArrayList<>();
        for (ConfigKeys.Key key : ConfigKeys.KEYS) {
            if (!key.path().equals(ConfigKeys.API_KEYS_ENV) && loaded.origin(key.path()).kind() != Origin.Kind.FILE) {
                notInFile.add(key.path());
            }
        }
        assertThat(notInFile).as("options the example does not set").isEmpty();
        assertThat(loaded.origin(ConfigKeys.UPSTREAMS).kind()).isEqualTo(Origin.Kind.FILE);
        assertThat(EXAMPLE).contains("# api_keys_env: ");
    }

    @Test
    void exampleNamesEveryEnvironmentVariableAndUpstreamKey() {
        assertThat(EXAMPLE).contains(ConfigKeys.environmentVariables());
        for (String key : ConfigKeys.UPSTREAM_KEYS) {
            assertThat(EXAMPLE).containsPattern("(?m)^#   " + key + " ");
        }
    }

    @Test
    void commentedOutUpstreamsAreAValidList() {
        List<String> lines = new ArrayList<>();
        boolean inExample = false;
        for (String line : EXAMPLE.split("\n", -1)) {
            if (line.equals("upstreams: []")) {
                continue;
            }
            if (line.equals("# upstreams:")) {
                inExample = true;
            }
            if (inExample && !line.startsWith("# ")) {
                inExample = false;
            }
            lines.add(inExample ? line.substring(2) : line);
        }
        PipelineConfig c = load(String.join("\n", lines), Map.of("VLLM_API_KEY", "sk-v")).config();
        assertThat(c.upstreams()).extracting(UpstreamConfig::name).containsExactly("lmstudio", "ollama", "vllm");
        assertThat(c.upstreams().get(0).models()).containsExactly("qwen2.5-7b-instruct");
        assertThat(c.upstreams().get(2).apiKey()).isEqualTo("sk-v");
    }

    @Test
    void commentedOutKeysVariableIsValid() {
        String yaml = EXAMPLE.replace("  api_keys: []\n", "").replace("  # api_keys_env: ", "  api_keys_env: ");
        assertThat(load(yaml, Map.of("NP_GATEWAY_KEYS", "k1,k2")).config().auth().apiKeys()).containsExactly("k1", "k2");
    }
}
