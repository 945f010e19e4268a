package org.neuralpipeline.upstream.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.neuralpipeline.openai.StreamEvent;
import org.neuralpipeline.openai.StreamEvent.Content;
import org.neuralpipeline.openai.StreamEvent.Finish;
import org.neuralpipeline.upstream.builtin.BuiltinModelTrainer.Document;

class ChoiceGeneratorTest {
    private static final NGramModel RECITER = BuiltinModelTrainer.train(List.of(
            new Document("t.md", "one two three four five six seven eight nine ten")));

    private static List<StreamEvent> generate(NGramModel model, ChoiceGenerator.Sampling sampling, long seed) {
        ChoiceGenerator generator = new ChoiceGenerator(model, 0, NGramModel.BOS, NGramModel.BOS, sampling,
                new SplittableRandom(seed));
        List<StreamEvent> events = new ArrayList<>();
        while (!generator.finished()) {
            events.addAll(generator.step());
        }
        return events;
    }

    private static ChoiceGenerator.Sampling greedy(int maxTokens, String... stop) {
        return new ChoiceGenerator.Sampling(0, maxTokens, List.of(stop), false, 0);
    }

    private static String text(List<StreamEvent> events) {
        StringBuilder text = new StringBuilder();
        events.stream().filter(Content.class::isInstance).forEach(e -> text.append(((Content) e).text()));
        return text.toString();
    }

    @Test
    void theStopSequenceThatCompletesFirstWinsAndAmongThoseTheEarliest() {
        // Like a real server, generation ends when "four" appears; the longer sequence never completes.
        List<StreamEvent> events = generate(RECITER, greedy(100, "seven", "four", "two three four five"), 1);
        assertThat(text(events)).isEqualTo("one two three ");
        assertThat(events.get(events.size() - 1)).isEqualTo(new Finish(0, "stop"));
        // " three" completes both at once: the text ends before the one that starts first.
        assertThat(text(generate(RECITER, greedy(100, "three", "o three"), 1))).isEqualTo("one tw");
    }

    @Test
    void aStopSequenceSpanningThreeTokensIsHeldBackUntilItCompletes() {
        List<StreamEvent> events = generate(RECITER, greedy(100, "o three f"), 1);
        assertThat(events).containsExactly(new Content(0, "one", null), new Content(0, " tw", null),
                new Finish(0, "stop"));
    }

    @Test
    void aStopSequenceAtTheVeryStartLeavesNoContent() {
        assertThat(generate(RECITER, greedy(100, "one"), 1)).containsExactly(new Finish(0, "stop"));
    }

    @Test
    void emptyStopSequencesAreIgnored() {
        assertThat(text(generate(RECITER, greedy(3, ""), 1))).isEqualTo("one two three");
    }

    @Test
    void samplingFrequenciesFollowTheModelRaisedToOneOverTemperature() {
        // After "a": " b" once, " c" twice in training, so the model gives them different probabilities.
        NGramModel model = BuiltinModelTrainer.train(List.of(new Document("t.md", "a b\n\na c\n\na c")));
        int a = model.id("a");
        double[] p = model.distribution(NGramModel.BOS, a);
        int b = model.id(" b");
        int c = model.id(" c");
        for (double temperature : new double[] {1.0, 0.5}) {
            double sum = 0;
            for (double q : p) {
                sum += Math.pow(q, 1 / temperature);
            }
            double expectedB = Math.pow(p[b], 1 / temperature) / sum;
            double expectedC = Math.pow(p[c], 1 / temperature) / sum;
            int runs = 20_000;
            int seenB = 0;
            int seenC = 0;
            for (long seed = 0; seed < runs; seed++) {
                ChoiceGenerator generator = new ChoiceGenerator(model, 0, NGramModel.BOS, a,
                        new ChoiceGenerator.Sampling(temperature, 1, List.of(), false, 0), new SplittableRandom(seed));
                List<StreamEvent> events = generator.step();
                String token = events.get(0) instanceof Content content ? content.text() : "";
                seenB += token.equals(" b") ? 1 : 0;
                seenC += token.equals(" c") ? 1 : 0;
            }
            assertThat((double) seenB / runs).as("share of ' b' at T=%s", temperature).isCloseTo(expectedB, within(0.015));
            assertThat((double) seenC / runs).as("share of ' c' at T=%s", temperature).isCloseTo(expectedC, within(0.015));
        }
    }

    @Test
    void mostLikelyListsTheTopTokensInOrderWithTiesByLowerId() {
        double[] p = {0, 0.1, 0.4, 0.1, 0.3, 0.1};
        assertThat(ChoiceGenerator.mostLikely(p, 3)).containsExactly(2, 4, 1);
        assertThat(ChoiceGenerator.mostLikely(p, 0)).isEmpty();
        assertThat(ChoiceGenerator.mostLikely(p, 20)).containsExactly(2, 4, 1, 3, 5);
    }
}
