package org.neuralpipeline.testing;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Tag;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Flattens a registry into {@code name{tag=value,…} → value} (one entry per measurement; statistics other
 * than COUNT and VALUE get a {@code :statistic} suffix), so that tests assert metrics with AssertJ's
 * {@code containsEntry}. Use a fresh {@code SimpleMeterRegistry} per test.
 */
public final class MeterSnapshot {
    private MeterSnapshot() {
    }

    public static Map<String, Double> of(MeterRegistry registry) {
        Map<String, Double> values = new TreeMap<>();
        for (Meter meter : registry.getMeters()) {
            String tags = meter.getId().getTags().stream()
                    .map(t -> t.getKey() + "=" + t.getValue())
                    .collect(Collectors.joining(",", "{", "}"));
            String name = meter.getId().getName() + tags;
            for (Measurement m : meter.measure()) {
                String statistic = switch (m.getStatistic()) {
                    case COUNT, VALUE -> "";
                    default -> ":" + m.getStatistic().getTagValueRepresentation();
                };
                values.put(name + statistic, m.getValue());
            }
        }
        return values;
    }

    /** The name with tags in the form {@link #of} uses, for building expected keys. */
    public static String key(String name, Tag... tags) {
        StringBuilder key = new StringBuilder(name).append('{');
        for (int i = 0; i < tags.length; i++) {
            key.append(i == 0 ? "" : ",").append(tags[i].getKey()).append('=').append(tags[i].getValue());
        }
        return key.append('}').toString();
    }
}
