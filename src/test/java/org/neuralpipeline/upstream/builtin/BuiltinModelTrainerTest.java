package org.neuralpipeline.upstream.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralpipeline.upstream.builtin.BuiltinModelTrainer.Document;

class BuiltinModelTrainerTest {
    private static final Path PROJECT = Path.of("");

    @Test
    void trainingTwiceOnTheSameDocsGivesIdenticalBytes() {
        assertThat(BuiltinModelTrainer.trainFromProject(PROJECT)).isEqualTo(BuiltinModelTrainer.trainFromProject(PROJECT));
    }

    @Test
    void theModelOnTheClasspathIsTheOneTheProjectDocsProduce() throws IOException {
        // The build step (exec-maven-plugin at process-classes) wrote it; the test run loads it like the jar does.
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ModelFile.RESOURCE)) {
            assertThat(in).as(ModelFile.RESOURCE + " on the test classpath").isNotNull();
            assertThat(in.readAllBytes()).isEqualTo(BuiltinModelTrainer.trainFromProject(PROJECT));
        }
        NGramModel shipped = ShippedModel.get();
        assertThat(shipped.sources()).startsWith("README.md").allMatch(name -> name.endsWith(".md"));
        assertThat(shipped.vocabularySize()).isGreaterThan(300);
    }

    @Test
    void trainsOnTopLevelDocsAndEveryMarkdownFileUnderDocsInPathOrder(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("README.md"), "Read me.\r\nSecond line.");
        Files.writeString(dir.resolve("NOTES.md"), "not training text");
        Files.createDirectories(dir.resolve("docs/deep"));
        Files.writeString(dir.resolve("docs/deep/B.md"), "b");
        Files.writeString(dir.resolve("docs/A.md"), "a");
        Files.writeString(dir.resolve("docs/picture.png"), "binary");
        List<Document> documents = BuiltinModelTrainer.documents(dir);
        assertThat(documents).extracting(Document::name).containsExactly("README.md", "docs/A.md", "docs/deep/B.md");
        assertThat(documents.get(0).text()).isEqualTo("Read me.\nSecond line.");
    }

    @Test
    void paragraphsKeepProseWithItsHeadingAndLeaveOutCodeAndTables() {
        String markdown = """
                # Title

                First paragraph,
                two lines.

                ```sh
                mvn verify

                ./run
                ```

                | a | b |
                |---|---|
                Last words.
                """;
        assertThat(BuiltinModelTrainer.paragraphs(markdown))
                .containsExactly("# Title\n\nFirst paragraph,\ntwo lines.", "Last words.");
    }

    @Test
    void eachParagraphEndsWithTheEndOfTextToken() {
        NGramModel model = BuiltinModelTrainer.train(List.of(new Document("t.md", "one two\n\nthree")));
        int two = model.id(" two");
        int three = model.id("three");
        double[] afterTwo = model.distribution(model.id("one"), two);
        double[] afterThree = model.distribution(NGramModel.BOS, three);
        assertThat(argmax(afterTwo)).isEqualTo(NGramModel.EOS);
        assertThat(argmax(afterThree)).isEqualTo(NGramModel.EOS);
    }

    @Test
    void mainWritesTheModelFileCreatingItsDirectory(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("README.md"), "Hello there.");
        Path out = dir.resolve("classes/builtin/model.bin");
        BuiltinModelTrainer.main(new String[] {dir.toString(), out.toString()});
        assertThat(out).exists();
        assertThat(Files.readAllBytes(out)).isEqualTo(BuiltinModelTrainer.trainFromProject(dir));
    }

    private static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            best = p[i] > p[best] ? i : best;
        }
        return best;
    }
}
