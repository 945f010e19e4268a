package org.neuralpipeline.upstream.builtin;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into tokens the way an LLM streams them, so that concatenating the tokens gives back the
 * text exactly:
 * <ul>
 *   <li>a word (letters, digits, {@code _}, inner apostrophes as in "don't") with the single space
 *       before it: {@code " world"};</li>
 *   <li>one punctuation or symbol character, with the single space before it: {@code " ("}, {@code "."};</li>
 *   <li>each newline: {@code "\n"};</li>
 *   <li>any other run of spaces and tabs (indentation, double spaces, trailing spaces): {@code "    "}.</li>
 * </ul>
 * Rule-based, not vocabulary-based: any text tokenizes, which is what prompt token counting needs.
 */
final class Tokenizer {
    private Tokenizer() {
    }

    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int cp = text.codePointAt(i);
            if (cp == '\n') {
                tokens.add("\n");
                i++;
            } else if (isBlank(cp)) {
                int j = i;
                while (j < n && isBlank(text.codePointAt(j))) {
                    j += Character.charCount(text.codePointAt(j));
                }
                boolean spaceJoinsNext = j < n && text.charAt(j - 1) == ' ' && !isSpace(text.codePointAt(j));
                int end = spaceJoinsNext ? j - 1 : j;
                if (end > i) {
                    tokens.add(text.substring(i, end));
                }
                if (spaceJoinsNext) {
                    int close = endOfWordOrSymbol(text, j);
                    tokens.add(text.substring(j - 1, close));
                    j = close;
                }
                i = j;
            } else {
                int close = endOfWordOrSymbol(text, i);
                tokens.add(text.substring(i, close));
                i = close;
            }
        }
        return tokens;
    }

    /** Whether a token ends in a word character: the tokens prompt conditioning looks for. */
    static boolean isWord(String token) {
        return !token.isEmpty() && isWordChar(token.codePointBefore(token.length()));
    }

    /** Where the word or single symbol starting at {@code i} (a non-space character) ends. */
    private static int endOfWordOrSymbol(String text, int i) {
        int cp = text.codePointAt(i);
        int j = i + Character.charCount(cp);
        if (!isWordChar(cp)) {
            return j;
        }
        int n = text.length();
        while (j < n) {
            int c = text.codePointAt(j);
            if (isWordChar(c)) {
                j += Character.charCount(c);
            } else if ((c == '\'' || c == '\u2019') && j + 1 < n && Character.isLetter(text.codePointAt(j + 1))) {
                j++;
            } else {
                break;
            }
        }
        return j;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }

    private static boolean isSpace(int cp) {
        return cp == '\n' || isBlank(cp);
    }

    private static boolean isBlank(int cp) {
        return cp != '\n' && (Character.isWhitespace(cp) || Character.isSpaceChar(cp));
    }
}
