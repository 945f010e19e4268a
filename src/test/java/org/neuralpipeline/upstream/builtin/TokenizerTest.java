package org.neuralpipeline.upstream.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenizerTest {

    @Test
    void wordsCarryTheirLeadingSpaceAndPunctuationStandsAlone() {
        assertThat(Tokenizer.tokenize("Hello, world! It's max_tokens (42)."))
                .containsExactly("Hello", ",", " world", "!", " It's", " max_tokens", " (", "42", ")", ".");
    }

    @Test
    void newlinesAndExtraBlanksAreTokensOfTheirOwn() {
        assertThat(Tokenizer.tokenize("a  b\n    c \n\n"))
                .containsExactly("a", " ", " b", "\n", "   ", " c", " ", "\n", "\n");
    }

    @Test
    void concatenatingTheTokensGivesBackTheText() {
        String text = "## Set-up\n\n  On a fresh machine — with `JAVA_HOME`,\ttabs \t and émojis 🙂 too…  \n"
                + "don’t stop';\r\nend ";
        assertThat(String.join("", Tokenizer.tokenize(text))).isEqualTo(text);
    }

    @Test
    void wordTokensAreThoseEndingInALetterOrDigit() {
        assertThat(Tokenizer.isWord(" gateway")).isTrue();
        assertThat(Tokenizer.isWord("42")).isTrue();
        assertThat(Tokenizer.isWord("?")).isFalse();
        assertThat(Tokenizer.isWord("\n")).isFalse();
    }
}
