package org.neuralpipeline.bench;

import java.util.SplittableRandom;

/**
 * Model-output tokens as local LLM servers stream them: mostly English word pieces with their leading
 * space, punctuation, newlines, quotes and code, and a share of accented Latin, CJK and emoji (each a
 * multi-byte UTF-8 sequence, emoji a surrogate pair in Java). Each completion picks a style that sets the
 * share of non-ASCII tokens.
 */
final class Tokens {
    private static final String[] WORDS = {
        " the", " of", " and", " to", " a", " in", " is", " that", " for", " it", " as", " with", " on",
        " be", " this", " are", " by", " you", " can", " model", " data", " stream", " token", " server",
        " request", " response", " function", " value", " example", " first", " which", " also", " will",
        " when", " each", " more", " than", " one", " use", " an", " or", " not", " from", " at", " have",
        " we", " these", " other", " time", " system", " would", " like", " into", " how", " then", " its",
        " Here", " The", " In", " However", " To", " This", " For", " output", " input", " latency",
        " gateway", " parser", " event", " buffer", " thread", " memory", " performance", " approach",
        " between", " important", " configuration", " understand", " implementation", "ing", "ed", "ly",
        "ation", "s", "er", " un", "ment", " re", "able",
    };
    private static final String[] PUNCTUATION = {".", ",", "!", "?", ":", ";", "'s", "-", " (", ")", " —", "..."};
    /** Characters that JSON must escape, or that make the data span lines in a mixed-corpus event. */
    private static final String[] BREAKS = {"\n", "\n\n", "\"", " \"", "\".", "\\", "\t", "\n- ", "\n1.", " `"};
    private static final String[] CODE = {"```", "java", "\n```", " {", " }", "();", " =", " return", "->",
        " null", "<T>", "[]", " 0", " 42", "3", ".14", " //"};
    private static final String[] ACCENTED = {" café", " naïve", " über", " señor", " façade", " déjà", " vu",
        " Ångström", " crème", " brûlée", " Zürich", " São", " Paulo", " résumé", " Straße", " Łódź", " città"};
    private static final String[] CJK = {"你好", "世界", "模型", "数据", "流", "的", "是", "在", "。", "，",
        "日本語", "の", "は", "です", "ます", "한국어", "입니다", "서버", "に", "を", "する", "解析"};
    private static final String[] EMOJI = {" 🙂", "🚀", " 👍", "✨", " 🔥", "😂", " 👍🏽", "🎉", " ❤️"};

    /** Cumulative per-mille shares of {WORDS, PUNCTUATION, BREAKS, CODE, ACCENTED, CJK}; EMOJI the rest. */
    private static final int[][] STYLES = {
        {800, 900, 940, 975, 985, 995}, // English, a little non-ASCII
        {600, 700, 740, 770, 850, 960}, // mixed languages
        {150, 200, 220, 230, 240, 980}, // mostly CJK
    };

    private final SplittableRandom random;
    private int[] style = STYLES[0];

    Tokens(SplittableRandom random) {
        this.random = random;
    }

    /** Picks the style of the next completion: 70 % English, 15 % mixed, 15 % CJK. */
    void newCompletion() {
        int r = random.nextInt(100);
        style = STYLES[r < 70 ? 0 : r < 85 ? 1 : 2];
    }

    String next() {
        int r = random.nextInt(1000);
        String[] set = r < style[0] ? WORDS
                : r < style[1] ? PUNCTUATION
                : r < style[2] ? BREAKS
                : r < style[3] ? CODE
                : r < style[4] ? ACCENTED
                : r < style[5] ? CJK
                : EMOJI;
        return set[random.nextInt(set.length)];
    }

    /** A line of {@code min..max} tokens with no CR or LF, for data fields of the mixed corpus. */
    String line(int min, int max) {
        StringBuilder sb = new StringBuilder();
        int n = min + random.nextInt(max - min + 1);
        for (int i = 0; i < n; i++) {
            String t = next();
            if (t.indexOf('\n') >= 0) {
                t = t.replace("\n", "");
            }
            sb.append(t);
        }
        return sb.toString();
    }
}
