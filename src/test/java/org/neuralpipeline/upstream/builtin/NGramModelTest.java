package org.neuralpipeline.upstream.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.upstream.builtin.BuiltinModelTrainer.Document;

class NGramModelTest {
    private static final NGramModel SHIPPED = ShippedModel.get();

    @Test
    void distributionSumsToOneInEveryKindOfContext() {
        long[] keys = SHIPPED.trigramKeys();
        int[] seen = NGramModel.unpack(keys[keys.length / 2]);
        int[] first = NGramModel.unpack(keys[0]);
        int frequent = 2; // the most frequent token
        int rare = SHIPPED.vocabularySize() - 1;
        int[][] contexts = {
            {NGramModel.BOS, NGramModel.BOS}, // start of a paragraph
            {NGramModel.BOS, first[2]}, // second token of a paragraph
            {seen[0], seen[1]}, // a seen trigram context
            {rare, frequent}, // both known, pair (almost surely) unseen: bigram level
            {NGramModel.NONE, frequent}, // first prompt word unknown
            {NGramModel.NONE, NGramModel.EOS}, // never a context in training: unigram level
        };
        for (int[] context : contexts) {
            double[] p = SHIPPED.distribution(context[0], context[1]);
            assertThat(p).hasSize(SHIPPED.vocabularySize());
            assertThat(DoubleStream.of(p).sum()).as("sum after %s", Arrays.toString(context)).isCloseTo(1.0,
                    within(1e-9));
            assertThat(DoubleStream.of(p).min().orElseThrow()).isGreaterThanOrEqualTo(0);
            assertThat(p[NGramModel.BOS]).isZero();
            assertThat(p[NGramModel.EOS]).isPositive();
        }
    }

    @Test
    void everyTokenButTheStartMarkerHasSomeProbability() {
        double[] p = SHIPPED.distribution(NGramModel.BOS, NGramModel.BOS);
        for (int id = 1; id < p.length; id++) {
            assertThat(p[id]).as("p(%s)", SHIPPED.token(id)).isPositive();
        }
    }

    @Test
    void probabilitiesFollowInterpolatedKneserNeyByHand() {
        // One paragraph "a b": trigrams (BOS BOS a), (BOS a " b"), (a " b" EOS).
        NGramModel model = BuiltinModelTrainer.train(List.of(new Document("t.md", "a b")));
        int a = model.id("a");
        int b = model.id(" b");
        double d = NGramModel.DISCOUNT;
        // P1: continuation counts a=1, " b"=1, EOS=1 over 3 bigram types; 3 predictable tokens.
        double p1 = (1 - d) / 3 + d * 3 / 3 / 3;
        double p2 = (1 - d) + d * p1; // after "a": one successor, seen after one distinct u
        double p3 = (1 - d) + d * p2; // after BOS "a": one successor, count 1
        assertThat(model.distribution(NGramModel.BOS, a)[b]).isCloseTo(p3, within(1e-12));
        assertThat(model.distribution(NGramModel.NONE, a)[b]).isCloseTo(p2, within(1e-12));
        assertThat(model.distribution(NGramModel.NONE, NGramModel.EOS)[b]).isCloseTo(p1, within(1e-12));
    }

    @Test
    void fileRoundTripKeepsEveryCountAndProbability() throws IOException {
        NGramModel read = ModelFile.read(new ByteArrayInputStream(ModelFile.write(SHIPPED)));
        assertThat(read.vocabulary()).isEqualTo(SHIPPED.vocabulary());
        assertThat(read.trigramKeys()).isEqualTo(SHIPPED.trigramKeys());
        assertThat(read.trigramCounts()).isEqualTo(SHIPPED.trigramCounts());
        assertThat(read.sources()).isEqualTo(SHIPPED.sources());
        assertThat(read.distribution(NGramModel.BOS, NGramModel.BOS))
                .isEqualTo(SHIPPED.distribution(NGramModel.BOS, NGramModel.BOS));
    }

    @Test
    void readingRejectsAForeignTruncatedOrCorruptFileWithAClearMessage() {
        byte[] good = ModelFile.write(BuiltinModelTrainer.train(List.of(new Document("t.md", "a b c"))));
        byte[] foreign = good.clone();
        foreign[0] = 'X';
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(foreign)))
                .isInstanceOf(IOException.class).hasMessageContaining("not a built-in model file");
        byte[] newer = good.clone();
        newer[7] = 2;
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(newer)))
                .isInstanceOf(IOException.class).hasMessageContaining("version 2 (expected: 1)");
        byte[] truncated = Arrays.copyOf(good, good.length - 1);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(truncated)))
                .isInstanceOf(IOException.class).hasMessageContaining("truncated");
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(trailing)))
                .isInstanceOf(IOException.class).hasMessageContaining("trailing bytes");
    }
}
