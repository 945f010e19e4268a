package org.neuralpipeline.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes the text forms of configuration values, the same in the file, the environment and on
 * the command line: durations ({@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or plain milliseconds),
 * sizes ({@code 512KiB}, {@code 4MiB}, or plain bytes), booleans ({@code true}/{@code false}) and numbers.
 * A value that cannot be read is a {@link ConfigException} under the key the caller names.
 */
final class Values {
    static final String DURATION_EXPECTED = "a duration such as 500ms, 30s, 2m";
    static final String SIZE_EXPECTED = "a size such as 512KiB, 4MiB or 1048576";
    static final String BOOLEAN_EXPECTED = "true or false";

    private static final Pattern DURATION = Pattern.compile("(\\d{1,18}) ?(ms|s|m|h)?");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d{1,3})?");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19}) ?(b|kib|mib|gib)?", Pattern.CASE_INSENSITIVE);
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    private Values() {
    }

    static Duration duration(String key, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new ConfigException(key, text, DURATION_EXPECTED);
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (ArithmeticException e) {
            throw new ConfigException(key, text, DURATION_EXPECTED);
        }
    }

    /** {@code 1h}, {@code 90s}, {@code 250ms}: the largest of h, s and ms that shows the value exactly. */
    static String formatDuration(Duration d) {
        if (d.getNano() % 1_000_000 != 0) {
            return d.toString();
        }
        long millis = d.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    static long size(String key, String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new ConfigException(key, text, SIZE_EXPECTED);
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
            return switch (unit) {
                case "kib" -> Math.multiplyExact(n, KIB);
                case "mib" -> Math.multiplyExact(n, MIB);
                case "gib" -> Math.multiplyExact(n, GIB);
                default -> n;
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new ConfigException(key, text, SIZE_EXPECTED);
        }
    }

    /** {@code 4MiB}, {@code 512KiB}, or plain bytes when no binary unit divides the size. */
    static String formatSize(long bytes) {
        if (bytes != 0 && bytes % GIB == 0) {
            return bytes / GIB + "GiB";
        }
        if (bytes != 0 && bytes % MIB == 0) {
            return bytes / MIB + "MiB";
        }
        if (bytes != 0 && bytes % KIB == 0) {
            return bytes / KIB + "KiB";
        }
        return Long.toString(bytes);
    }

    static boolean bool(String key, String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(key, text, BOOLEAN_EXPECTED);
        };
    }

    static int integer(String key, String text, String expected) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, text, expected);
        }
    }

    static double number(String key, String text, String expected) {
        String t = text.strip();
        if (NUMBER.matcher(t).matches()) {
            double d = Double.parseDouble(t);
            if (Double.isFinite(d)) {
                return d;
            }
        }
        throw new ConfigException(key, text, expected);
    }
}
