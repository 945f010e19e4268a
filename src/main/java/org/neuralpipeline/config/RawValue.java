package org.neuralpipeline.config;

import java.util.List;

/**
 * One value as a source gave it, before it is read as a number, duration or URL.
 *
 * @param value  the text, or a {@code List<String>} for list options
 * @param origin the layer and source, for {@code config print}
 * @param label  the key as the user wrote it ({@code upstreams[1].url}, {@code NEURAL_PIPELINE_SERVER_PORT},
 *               {@code --port}), for error messages
 */
record RawValue(Object value, Origin origin, String label) {
    RawValue {
        if (!(value instanceof String) && !(value instanceof List<?>)) {
            throw new IllegalArgumentException("value: " + value + " (expected: a String or a List<String>)");
        }
    }
}
