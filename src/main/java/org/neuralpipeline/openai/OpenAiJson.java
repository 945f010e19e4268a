package org.neuralpipeline.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson setup for OpenAI wire JSON: thread-safe, shared. */
public final class OpenAiJson {
    /**
     * Shared mapper: duplicate keys rejected; characters outside the BMP (emoji) written as real 4-byte
     * UTF-8 rather than escaped surrogate pairs, as model servers send them.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .build())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private OpenAiJson() {
    }
}
