package org.neuralpipeline.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads the YAML file into raw values, strictly: an unknown key, a duplicate key, a list where one value
 * belongs, or a syntax error (with line and column) is a {@link ConfigException}. Typos must never be
 * silently ignored. Values stay text here; {@link ConfigLoader} reads them as numbers, durations and URLs.
 * A key set to nothing ({@code port:} or {@code port: ~}) counts as not set.
 */
final class ConfigFile {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final String SINGLE_VALUE = "a single value";
    private static final String LIST = "a list such as [a, b]";

    /**
     * What the file sets.
     *
     * @param origin    the file, for {@code config print}
     * @param settings  scalar and list options by path
     * @param upstreams the entries of {@code upstreams}, each by key ({@code name}, {@code url}, …), or null
     *                  when the file does not set {@code upstreams}
     */
    record Contents(Origin origin, Map<String, RawValue> settings, List<Map<String, RawValue>> upstreams) {
        static final Contents EMPTY = new Contents(Origin.DEFAULT, Map.of(), null);
    }

    private final String name;
    private final Origin origin;
    private final Map<String, RawValue> settings = new LinkedHashMap<>();
    private List<Map<String, RawValue>> upstreams;

    private ConfigFile(String name) {
        this.name = name;
        this.origin = Origin.file(name);
    }

    /** Parses {@code text}, the contents of the file called {@code name} (which errors about syntax name). */
    static Contents parse(String name, String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw syntaxError(name, e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Contents(Origin.file(name), Map.of(), null);
        }
        if (!root.isObject()) {
            throw ConfigException.described(name, describe(root), "a mapping of sections such as server: and upstreams:");
        }
        ConfigFile file = new ConfigFile(name);
        file.readRoot(root);
        return new Contents(file.origin, Map.copyOf(file.settings), file.upstreams);
    }

    private void readRoot(JsonNode root) {
        Map<String, List<String>> sections = ConfigKeys.sections();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String key = field.getKey();
            JsonNode node = field.getValue();
            if (!ConfigKeys.TOP_LEVEL.contains(key)) {
                throw ConfigKeys.unknown(key, key, ConfigKeys.TOP_LEVEL);
            }
            if (node.isNull()) {
                continue;
            }
            if (key.equals(ConfigKeys.UPSTREAMS)) {
                readUpstreams(node);
            } else if (sections.containsKey(key)) {
                List<String> leaves = sections.get(key);
                if (!node.isObject()) {
                    throw ConfigException.described(key, describe(node), "a mapping with keys " + String.join(", ", leaves));
                }
                for (Map.Entry<String, JsonNode> child : node.properties()) {
                    String path = key + "." + child.getKey();
                    if (!leaves.contains(child.getKey())) {
                        throw ConfigKeys.unknown(path, child.getKey(), leaves);
                    }
                    read(settings, path, path, ConfigKeys.byPath(path).list(), child.getValue());
                }
            } else {
                read(settings, key, key, false, node);
            }
        }
    }

    private void readUpstreams(JsonNode node) {
        if (!node.isArray()) {
            throw ConfigException.described(ConfigKeys.UPSTREAMS, describe(node),
                    "a list of upstreams, each a mapping with name and url");
        }
        upstreams = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String prefix = ConfigKeys.UPSTREAMS + "[" + i + "]";
            JsonNode entry = node.get(i);
            if (!entry.isObject()) {
                throw ConfigException.described(prefix, describe(entry),
                        "a mapping with keys " + String.join(", ", ConfigKeys.UPSTREAM_KEYS));
            }
            Map<String, RawValue> fields = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> field : entry.properties()) {
                String key = field.getKey();
                if (!ConfigKeys.UPSTREAM_KEYS.contains(key)) {
                    throw ConfigKeys.unknown(prefix + "." + key, key, ConfigKeys.UPSTREAM_KEYS);
                }
                read(fields, key, prefix + "." + key, key.equals("models"), field.getValue());
            }
            upstreams.add(Map.copyOf(fields));
        }
    }

    private void read(Map<String, RawValue> into, String key, String path, boolean list, JsonNode node) {
        if (node.isNull()) {
            return;
        }
        if (!list) {
            if (!node.isValueNode()) {
                throw ConfigException.described(path, describe(node), SINGLE_VALUE);
            }
            into.put(key, new RawValue(node.asText(), origin, path));
            return;
        }
        if (!node.isArray()) {
            throw ConfigException.described(path, describe(node), LIST);
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (item.isNull() || !item.isValueNode()) {
                throw ConfigException.described(path + "[" + i + "]", describe(item), SINGLE_VALUE);
            }
            items.add(item.asText());
        }
        into.put(key, new RawValue(List.copyOf(items), origin, path));
    }

    /** How a node appears in a message: quoted text, a bare number or boolean, or its kind. */
    private static String describe(JsonNode node) {
        if (node.isTextual()) {
            return '"' + node.asText() + '"';
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isNull()) {
            return "missing";
        }
        return node.asText();
    }

    /** {@code my.yaml: line 3, column 7: mapping values are not allowed here (expected: valid YAML)}. */
    private static ConfigException syntaxError(String name, JsonProcessingException e) {
        String where;
        String problem;
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            where = position(yaml.getProblemMark());
            problem = yaml.getProblem();
            if (yaml.getContext() != null && yaml.getContextMark() != null) {
                problem += ", " + yaml.getContext() + " that starts at " + position(yaml.getContextMark());
            }
        } else {
            JsonLocation at = e.getLocation();
            where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
            problem = e.getOriginalMessage().replace("Duplicate field", "duplicate key");
        }
        String text = (where.isEmpty() ? "" : where + ": ") + problem.replaceAll("\\s+", " ").strip();
        return ConfigException.described(name, text, "valid YAML");
    }

    private static String position(Mark mark) {
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }
}
