package org.neuralpipeline.broadcast;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What one viewer wants: the query parameters {@code request_id}, {@code model} and {@code types}
 * (comma-separated message types). Null or empty means any.
 */
public record ViewerFilter(String requestId, String model, Set<String> types) {
    public static final ViewerFilter ALL = new ViewerFilter(null, null, Set.of());

    public ViewerFilter {
        requestId = requestId == null || requestId.isEmpty() ? null : requestId;
        model = model == null || model.isEmpty() ? null : model;
        types = types == null ? Set.of() : Set.copyOf(types);
    }

    /** From the query parameters as given; {@code types} is comma-separated, blanks ignored. */
    public static ViewerFilter of(String requestId, String model, String types) {
        Set<String> set = types == null ? Set.of() : Arrays.stream(types.split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new ViewerFilter(requestId, model, set);
    }

    boolean matches(Frame frame) {
        return (requestId == null || requestId.equals(frame.requestId()))
                && (model == null || model.equals(frame.model()))
                && (types.isEmpty() || types.contains(frame.type()));
    }
}
