package org.neuralpipeline.upstream.builtin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Trains the built-in model on the project's own documentation; the Maven build runs {@link #main} at
 * {@code process-classes} (exec-maven-plugin) and the jar ships the result as {@value ModelFile#RESOURCE}.
 *
 * <p>Training text: {@code README.md}, {@code CHANGELOG.md}, {@code CONTRIBUTING.md} and every
 * {@code docs/**}{@code /*.md} that exists, read in sorted path order with line endings normalised to
 * {@code \n}. Each prose paragraph (lines between blank lines, with the heading above it, without code
 * blocks and tables) is one training sequence, so the model learns to end its answer where a paragraph
 * ends. Deterministic: the same documents give byte-identical files, whatever the platform, file-system
 * order or clock.
 */
public final class BuiltinModelTrainer {
    static final List<String> TOP_LEVEL_DOCUMENTS = List.of("README.md", "CHANGELOG.md", "CONTRIBUTING.md");

    /** A training document: its path relative to the project (with {@code /}) and its text. */
    record Document(String name, String text) {
    }

    private BuiltinModelTrainer() {
    }

    /**
     * {@code BuiltinModelTrainer <project directory> <output file>}: trains on the project's documents
     * and writes the model file, creating its directory.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: BuiltinModelTrainer <project directory> <output file> (got "
                    + args.length + " arguments)");
        }
        Path output = Path.of(args[1]);
        byte[] model = ModelFile.write(train(documents(Path.of(args[0]))));
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.write(output, model);
    }

    /** The project's training documents, in a fixed order. @throws IllegalStateException when there are none */
    static List<Document> documents(Path projectDirectory) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String name : TOP_LEVEL_DOCUMENTS) {
            Path path = projectDirectory.resolve(name);
            if (Files.isRegularFile(path)) {
                paths.add(path);
            }
        }
        Path docs = projectDirectory.resolve("docs");
        if (Files.isDirectory(docs)) {
            try (Stream<Path> tree = Files.walk(docs)) {
                tree.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".md"))
                        .map(p -> relative(projectDirectory, p))
                        .sorted()
                        .forEach(name -> paths.add(projectDirectory.resolve(name)));
            }
        }
        if (paths.isEmpty()) {
            throw new IllegalStateException("no documentation to train the built-in model on in "
                    + projectDirectory.toAbsolutePath() + " (expected: README.md, CHANGELOG.md, CONTRIBUTING.md or docs/*.md)");
        }
        List<Document> documents = new ArrayList<>();
        for (Path path : paths) {
            String text = Files.readString(path, StandardCharsets.UTF_8).replace("\r\n", "\n").replace('\r', '\n');
            documents.add(new Document(relative(projectDirectory, path), text));
        }
        return documents;
    }

    /**
     * Counts the trigrams of every paragraph (padded with two start markers, ended by the end marker) and
     * builds the model. Vocabulary ids after the two markers go by descending frequency, then by text, so
     * they do not depend on document order or hashing.
     */
    static NGramModel train(List<Document> documents) {
        List<List<String>> paragraphs = new ArrayList<>();
        Map<String, Integer> frequency = new HashMap<>();
        for (Document document : documents) {
            for (String paragraph : paragraphs(document.text())) {
                List<String> tokens = Tokenizer.tokenize(paragraph);
                paragraphs.add(tokens);
                tokens.forEach(t -> frequency.merge(t, 1, Integer::sum));
            }
        }
        if (paragraphs.isEmpty()) {
            throw new IllegalStateException("the training documents contain no text");
        }
        List<String> tokens = new ArrayList<>(frequency.keySet());
        tokens.sort(Comparator.<String>comparingInt(frequency::get).reversed().thenComparing(Comparator.naturalOrder()));
        if (tokens.size() + 2 > NGramModel.MAX_VOCABULARY) {
            throw new IllegalStateException("vocabulary of " + tokens.size() + " tokens is too large");
        }
        String[] vocabulary = new String[tokens.size() + 2];
        vocabulary[NGramModel.BOS] = NGramModel.BOS_TEXT;
        vocabulary[NGramModel.EOS] = NGramModel.EOS_TEXT;
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            vocabulary[i + 2] = tokens.get(i);
            ids.put(tokens.get(i), i + 2);
        }

        TreeMap<Long, Integer> trigrams = new TreeMap<>();
        for (List<String> paragraph : paragraphs) {
            int u = NGramModel.BOS;
            int v = NGramModel.BOS;
            for (String token : paragraph) {
                int w = ids.get(token);
                trigrams.merge(NGramModel.trigramKey(u, v, w), 1, Integer::sum);
                u = v;
                v = w;
            }
            trigrams.merge(NGramModel.trigramKey(u, v, NGramModel.EOS), 1, Integer::sum);
        }
        long[] keys = trigrams.keySet().stream().mapToLong(Long::longValue).toArray();
        int[] counts = trigrams.values().stream().mapToInt(Integer::intValue).toArray();
        return new NGramModel(vocabulary, keys, counts, documents.stream().map(Document::name).toList());
    }

    /**
     * The prose paragraphs of a Markdown text: runs of non-blank lines, joined by {@code \n}; a heading
     * stays with the paragraph under it (joined by a blank line), so answers open with a heading as often
     * as the documents do, instead of a heading alone being a complete answer. Fenced code blocks and
     * table rows are left out: their box drawings and column rules are frequent, repetitive tokens that
     * would otherwise dominate what a model this small says.
     */
    static List<String> paragraphs(String text) {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inFence = false;
        for (String line : text.split("\n", -1)) {
            String trimmed = line.strip();
            boolean fence = trimmed.startsWith("```") || trimmed.startsWith("~~~");
            if (fence) {
                inFence = !inFence;
            }
            if (fence || inFence || trimmed.startsWith("|") || line.isBlank()) {
                endBlock(blocks, current);
            } else {
                if (!current.isEmpty()) {
                    current.append('\n');
                }
                current.append(line);
            }
        }
        endBlock(blocks, current);
        List<String> paragraphs = new ArrayList<>();
        String heading = null;
        for (String block : blocks) {
            boolean isHeading = block.startsWith("#") && !block.contains("\n");
            if (heading != null && !isHeading) {
                paragraphs.add(heading + "\n\n" + block);
            } else if (heading != null) {
                paragraphs.add(heading);
            } else if (!isHeading) {
                paragraphs.add(block);
            }
            heading = isHeading ? block : null;
        }
        if (heading != null) {
            paragraphs.add(heading);
        }
        return paragraphs;
    }

    private static void endBlock(List<String> blocks, StringBuilder current) {
        if (!current.isEmpty()) {
            blocks.add(current.toString());
            current.setLength(0);
        }
    }

    private static String relative(Path projectDirectory, Path path) {
        String name = projectDirectory.relativize(path).toString();
        return name.replace(path.getFileSystem().getSeparator(), "/");
    }

    static byte[] trainFromProject(Path projectDirectory) {
        try {
            return ModelFile.write(train(documents(projectDirectory)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
