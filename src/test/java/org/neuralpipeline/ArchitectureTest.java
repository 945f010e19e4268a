package org.neuralpipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the import directions of docs/ARCHITECTURE.md true by reading the sources: every reference
 * from one of our packages to another must be in {@link #ALLOWED}. A new package must be added here
 * (and to the architecture doc) before it can be used.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/org/neuralpipeline");
    private static final Pattern OUR_REFERENCE = Pattern.compile("\\borg\\.neuralpipeline\\.([a-z]+)\\.");
    private static final Pattern PACKAGE_LINE = Pattern.compile("(?m)^package [^;]+;");

    /** package → the packages of ours it may use. "" is the root package (Main). */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("", Set.of("cli")),
            Map.entry("cli", Set.of("app", "config", "observability", "sse", "openai", "structure")),
            Map.entry("app", Set.of("config", "observability", "sse", "openai", "upstream", "gateway", "cache",
                    "ratelimit", "broadcast", "ingest", "visual", "health", "structure")),
            Map.entry("gateway", Set.of("upstream", "cache", "ratelimit", "openai", "sse", "observability", "config")),
            Map.entry("upstream", Set.of("sse", "openai", "observability", "config")),
            // the built-in model: an Upstream implementation with its package-private machinery
            Map.entry("upstream.builtin", Set.of("upstream", "sse", "openai", "observability", "config")),
            Map.entry("broadcast", Set.of("sse", "openai", "observability", "config")),
            Map.entry("ingest", Set.of("broadcast", "sse", "openai", "observability", "config")),
            Map.entry("visual", Set.of("broadcast", "sse", "observability", "config")),
            Map.entry("health", Set.of("upstream", "observability", "config")),
            Map.entry("structure", Set.of()),
            // the SSE client reports through observability's meters; the parser itself uses nothing of ours
            Map.entry("sse", Set.of("observability")),
            Map.entry("openai", Set.of()),
            Map.entry("config", Set.of()),
            Map.entry("observability", Set.of()),
            Map.entry("cache", Set.of()),
            Map.entry("ratelimit", Set.of()));

    /** Packages that must run in plain unit tests and JMH: no Vert.x at all. */
    private static final Set<String> NO_VERTX = Set.of("openai", "config", "cache", "ratelimit", "structure");
    /** Files in sse that form the pure parser/encoder: no Vert.x either. */
    private static final Set<String> PURE_SSE_FILES = Set.of("SseParser.java", "SseEvent.java", "SseListener.java",
            "SseEncoder.java", "SseLimitExceededException.java");

    @Test
    void packagesOnlyUseWhatTheArchitectureAllows() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Path file : sources()) {
            String pkg = packageOf(file);
            assertThat(ALLOWED).as("package '%s' of %s is not in the architecture map", pkg, file).containsKey(pkg);
            String code = PACKAGE_LINE.matcher(Files.readString(file)).replaceFirst("");
            Matcher m = OUR_REFERENCE.matcher(code);
            while (m.find()) {
                String used = m.group(1);
                if (!used.equals(pkg) && !ALLOWED.get(pkg).contains(used)) {
                    violations.add(MAIN.relativize(file) + " uses " + used);
                }
            }
        }
        assertThat(violations).as("references against docs/ARCHITECTURE.md").isEmpty();
    }

    @Test
    void parserAndPurePackagesImportNoVertx() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Path file : sources()) {
            String pkg = packageOf(file);
            boolean pure = NO_VERTX.contains(pkg)
                    || (pkg.equals("sse") && (PURE_SSE_FILES.contains(file.getFileName().toString())
                            || file.getFileName().toString().startsWith("Utf8")));
            if (pure && Files.readString(file).contains("io.vertx")) {
                violations.add(MAIN.relativize(file).toString());
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void nothingImportsCliOrApp() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Path file : sources()) {
            String pkg = packageOf(file);
            String code = Files.readString(file);
            if (!pkg.isEmpty() && !pkg.equals("cli") && code.contains("org.neuralpipeline.cli.")) {
                violations.add(file + " uses cli");
            }
            if (!pkg.isEmpty() && !pkg.equals("cli") && !pkg.equals("app") && code.contains("org.neuralpipeline.app.")) {
                violations.add(file + " uses app");
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void mainCodeNeverUsesTheGlobalMeterRegistryNorPrintsOutsideCli() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Path file : sources()) {
            String code = Files.readString(file);
            if (code.contains("Metrics.globalRegistry")) {
                violations.add(file + " uses Metrics.globalRegistry");
            }
            if (!packageOf(file).equals("cli") && !packageOf(file).isEmpty()
                    && (code.contains("System.out") || code.contains("printStackTrace("))) {
                violations.add(file + " prints to stdout outside cli");
            }
            if (code.contains("Thread.sleep(")) {
                violations.add(file + " sleeps");
            }
        }
        assertThat(violations).isEmpty();
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            assertThat(list).isNotEmpty();
            return list;
        }
    }

    private static String packageOf(Path file) {
        Path dir = MAIN.relativize(file).getParent();
        return dir == null ? "" : dir.toString().replace('/', '.');
    }
}
