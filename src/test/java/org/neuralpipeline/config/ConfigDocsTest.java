package org.neuralpipeline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/CONFIGURATION.md names every option and variable, and its YAML examples load. */
class ConfigDocsTest {
    private static final Path DOC = Path.of("docs/CONFIGURATION.md");
    private static final Pattern YAML_BLOCK = Pattern.compile("(?s)```yaml\n(.*?)```");

    @Test
    void namesEveryKeyAndEnvironmentVariable() throws IOException {
        String doc = Files.readString(DOC);
        for (ConfigKeys.Key key : ConfigKeys.KEYS) {
            assertThat(doc).contains("| `" + key.path() + "` |");
        }
        for (String variable : ConfigKeys.environmentVariables()) {
            assertThat(doc).contains("`" + variable + "`");
        }
        for (String key : ConfigKeys.UPSTREAM_KEYS) {
            assertThat(doc).contains("| `" + key + "` |");
        }
    }

    @Test
    void yamlExamplesLoad() throws IOException {
        Matcher m = YAML_BLOCK.matcher(Files.readString(DOC));
        List<PipelineConfig> loaded = new ArrayList<>();
        while (m.find()) {
            loaded.add(ConfigLoader.load("example.yaml", m.group(1), ConfigFlags.NONE,
                    Map.of("VLLM_API_KEY", "sk-v", "NP_GATEWAY_KEYS", "a,b")).config());
        }
        assertThat(loaded).hasSize(2);
        assertThat(loaded.get(0).upstreams()).extracting(UpstreamConfig::name).containsExactly("lmstudio", "ollama");
        assertThat(loaded.get(1).auth().apiKeys()).containsExactly("a", "b");
    }
}
