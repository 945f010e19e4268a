package org.neuralpipeline.upstream.builtin;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A word-level trigram language model with interpolated Kneser-Ney smoothing.
 *
 * <p>How it works. The only stored data are the trigram counts {@code c(u v w)} of the training text
 * (every training paragraph is padded with two {@link #BOS} tokens in front and ends with {@link #EOS}).
 * Everything else is derived here, once, when the model is built:
 * <pre>
 *   P3(w | u v) = max(c(u v w) - D, 0) / c(u v ·)  +  D · N(u v ·) / c(u v ·) · P2(w | v)
 *   P2(w | v)   = max(N(· v w) - D, 0) / N(· v ·)  +  D · N(v ·)   / N(· v ·) · P1(w)
 *   P1(w)       = max(N(· w) - D, 0)   / N(· ·)    +  D · N(types) / N(· ·)   · 1 / |V|
 * </pre>
 * where {@code N(· v w)} is the number of distinct {@code u} seen before {@code v w} (Kneser-Ney's
 * continuation count: a word that follows many different contexts is a better guess in a new one),
 * {@code N(u v ·)} the number of distinct successors of a context, and {@code |V|} the number of
 * predictable tokens. A context never seen drops to the next order.
 *
 * <p>The discount is fixed at {@value #DISCOUNT} for every order. Kneser-Ney's usual estimate,
 * {@code n1 / (n1 + 2 n2)} from the count-of-counts, comes out near 0.9 on the few thousand tokens of our
 * documentation: optimal for held-out likelihood, but it hands most of the probability to the lower
 * orders and the sampled text reads like shuffled words. A small discount keeps most of the mass on what
 * the model actually saw after a context, which is what a demo model should say.
 *
 * <p>Because every seen count is at least 1 and {@code D} is below 1, the mass each order discounts is
 * exactly the mass it hands down, so every {@link #distribution} sums to 1 over the vocabulary
 * ({@code BOS} gets 0: it is a context marker, never predicted).
 *
 * <p>Immutable and thread-safe after construction.
 */
final class NGramModel {
    /** Start-of-paragraph context marker; never predicted. */
    static final int BOS = 0;
    /** End of text: sampling it ends the choice with finish reason "stop". */
    static final int EOS = 1;
    /** An unknown context position (a prompt word outside the vocabulary): forces a lower order. */
    static final int NONE = -1;
    static final String BOS_TEXT = "<|startoftext|>";
    static final String EOS_TEXT = "<|endoftext|>";

    /** Absolute discount of every order; below 1, so every seen n-gram keeps some probability. */
    static final double DISCOUNT = 0.3;

    /** Ids are packed 21 bits each into a long: (u, v, w) for trigrams, (u, v) for contexts. */
    static final int MAX_VOCABULARY = 1 << 21;
    private static final int ID_BITS = 21;
    private static final long ID_MASK = MAX_VOCABULARY - 1;

    private final String[] vocabulary;
    private final Map<String, Integer> ids;
    private final List<String> sources;
    private final long[] trigramKeys;
    private final int[] trigramCounts;
    private final int bigramCount;
    private final double[] unigram;
    private final Row[] bigramRows;
    private final Map<Long, Row> trigramRows;

    /** One context's successors: each word's discounted probability and the mass left for the lower order. */
    private record Row(int[] words, double[] discounted, double backoff) {
    }

    /**
     * @param vocabulary token texts by id; ids 0 and 1 are {@link #BOS_TEXT} and {@link #EOS_TEXT}
     * @param trigramKeys packed (u, v, w) ids, strictly increasing
     * @param trigramCounts the count of each trigram, at least 1
     * @param sources the names of the training documents (informational)
     */
    NGramModel(String[] vocabulary, long[] trigramKeys, int[] trigramCounts, List<String> sources) {
        if (vocabulary.length < 3 || !BOS_TEXT.equals(vocabulary[BOS]) || !EOS_TEXT.equals(vocabulary[EOS])) {
            throw new IllegalArgumentException("vocabulary must start with " + BOS_TEXT + ", " + EOS_TEXT
                    + " and hold at least one token");
        }
        if (vocabulary.length > MAX_VOCABULARY || trigramKeys.length != trigramCounts.length
                || trigramKeys.length == 0) {
            throw new IllegalArgumentException("vocabulary: " + vocabulary.length + " tokens, trigrams: "
                    + trigramKeys.length + " keys, " + trigramCounts.length + " counts");
        }
        this.vocabulary = vocabulary.clone();
        this.sources = List.copyOf(sources);
        this.trigramKeys = trigramKeys.clone();
        this.trigramCounts = trigramCounts.clone();
        Map<String, Integer> byText = new HashMap<>();
        for (int id = 0; id < vocabulary.length; id++) {
            if (byText.put(vocabulary[id], id) != null) {
                throw new IllegalArgumentException("duplicate token in vocabulary: '" + vocabulary[id] + "'");
            }
        }
        this.ids = Map.copyOf(byText);
        validateTrigrams();

        // Continuation counts: how many distinct u precede (v, w); how many distinct v precede w.
        // Trigrams are sorted by (u, v, w), so distinct (v, w) pairs need a map; they are few.
        Map<Long, Integer> continuation2 = new HashMap<>();
        for (long key : this.trigramKeys) {
            continuation2.merge(key & ((1L << (2 * ID_BITS)) - 1), 1, Integer::sum);
        }
        long[] bigramKeys = continuation2.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        int[] bigramCounts = new int[bigramKeys.length];
        int[] continuation1 = new int[vocabulary.length];
        for (int i = 0; i < bigramKeys.length; i++) {
            bigramCounts[i] = continuation2.get(bigramKeys[i]);
            continuation1[(int) (bigramKeys[i] & ID_MASK)]++;
        }
        this.bigramCount = bigramKeys.length;

        this.unigram = unigram(continuation1);
        this.bigramRows = new Row[vocabulary.length];
        forEachContext(bigramKeys, bigramCounts, (context, row) -> bigramRows[(int) context] = row);
        Map<Long, Row> rows = new HashMap<>();
        forEachContext(this.trigramKeys, this.trigramCounts, rows::put);
        this.trigramRows = Map.copyOf(rows);
    }

    /** The next-token probabilities after {@code u v}, indexed by token id; sums to 1. */
    double[] distribution(int u, int v) {
        double[] p = unigram.clone();
        Row bigram = v >= 0 && v < bigramRows.length ? bigramRows[v] : null;
        if (bigram != null) {
            interpolate(p, bigram);
            Row trigram = u >= 0 ? trigramRows.get(contextKey(u, v)) : null;
            if (trigram != null) {
                interpolate(p, trigram);
            }
        }
        return p;
    }

    /** Whether {@code u v} was seen as a trigram context (so the model conditions on both). */
    boolean knowsContext(int u, int v) {
        return u >= 0 && v >= 0 && trigramRows.containsKey(contextKey(u, v));
    }

    /** Whether {@code v} was seen followed by something. */
    boolean knowsContext(int v) {
        return v >= 0 && v < bigramRows.length && bigramRows[v] != null;
    }

    /** The id of a token text, or {@link #NONE}. */
    int id(String token) {
        return ids.getOrDefault(token, NONE);
    }

    String token(int id) {
        return vocabulary[id];
    }

    int vocabularySize() {
        return vocabulary.length;
    }

    int trigramCount() {
        return trigramKeys.length;
    }

    int bigramCount() {
        return bigramCount;
    }

    /** Training tokens, including one end-of-text per paragraph: the sum of all trigram counts. */
    long trainingTokens() {
        long sum = 0;
        for (int c : trigramCounts) {
            sum += c;
        }
        return sum;
    }

    List<String> sources() {
        return sources;
    }

    String[] vocabulary() {
        return vocabulary.clone();
    }

    long[] trigramKeys() {
        return trigramKeys.clone();
    }

    int[] trigramCounts() {
        return trigramCounts.clone();
    }

    static long trigramKey(int u, int v, int w) {
        return ((long) u << (2 * ID_BITS)) | ((long) v << ID_BITS) | w;
    }

    static int[] unpack(long trigramKey) {
        return new int[] {(int) (trigramKey >>> (2 * ID_BITS)), (int) ((trigramKey >>> ID_BITS) & ID_MASK),
            (int) (trigramKey & ID_MASK)};
    }

    private static long contextKey(int u, int v) {
        return ((long) u << ID_BITS) | v;
    }

    private static void interpolate(double[] p, Row row) {
        for (int i = 0; i < p.length; i++) {
            p[i] *= row.backoff();
        }
        int[] words = row.words();
        double[] discounted = row.discounted();
        for (int i = 0; i < words.length; i++) {
            p[words[i]] += discounted[i];
        }
    }

    private double[] unigram(int[] continuation1) {
        long total = 0;
        int types = 0;
        for (int c : continuation1) {
            total += c;
            types += c > 0 ? 1 : 0;
        }
        int predictable = vocabulary.length - 1;
        double[] p = new double[vocabulary.length];
        for (int w = 0; w < p.length; w++) {
            if (w != BOS) {
                p[w] = Math.max(continuation1[w] - DISCOUNT, 0) / total + DISCOUNT * types / total / predictable;
            }
        }
        return p;
    }

    private interface RowSink {
        void accept(long context, Row row);
    }

    /**
     * Groups sorted n-gram keys by their context (the key without its last id) and builds each context's
     * row; the context key is the packed ids before the last one (v for bigrams, (u, v) for trigrams).
     */
    private static void forEachContext(long[] keys, int[] counts, RowSink sink) {
        int start = 0;
        while (start < keys.length) {
            long context = keys[start] >>> ID_BITS;
            int end = start;
            long total = 0;
            while (end < keys.length && keys[end] >>> ID_BITS == context) {
                total += counts[end];
                end++;
            }
            int size = end - start;
            int[] words = new int[size];
            double[] discounted = new double[size];
            for (int i = 0; i < size; i++) {
                words[i] = (int) (keys[start + i] & ID_MASK);
                discounted[i] = Math.max(counts[start + i] - DISCOUNT, 0) / total;
            }
            sink.accept(context, new Row(words, discounted, DISCOUNT * size / total));
            start = end;
        }
    }

    private void validateTrigrams() {
        long previous = -1;
        for (int i = 0; i < trigramKeys.length; i++) {
            long key = trigramKeys[i];
            int[] uvw = unpack(key);
            if (key <= previous || trigramCounts[i] < 1 || key < 0) {
                throw new IllegalArgumentException("trigram " + i + ": keys must increase and counts be >= 1");
            }
            for (int id : uvw) {
                if (id >= vocabulary.length) {
                    throw new IllegalArgumentException("trigram " + i + ": id " + id + " outside the vocabulary ("
                            + vocabulary.length + " tokens)");
                }
            }
            if (uvw[2] == BOS) {
                throw new IllegalArgumentException("trigram " + i + ": " + BOS_TEXT + " cannot be predicted");
            }
            previous = key;
        }
    }
}
