package org.neuralpipeline.upstream;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstreams in priority order and which models each serves. A request's {@code model} selects the
 * upstreams that list it, first configured first; the gateway tries them in that order until one has
 * produced the first event (after that, a stream is never switched silently).
 *
 * <p>The catalogue is rebuilt by {@link #refresh()} (at start-up, periodically, and when a client asks
 * for a model nobody was known to serve); an upstream that cannot list its models keeps its previous
 * list, so one flaky server does not make its models vanish between two probes. An upstream's configured
 * models are in the catalogue from the start, so one that is down at start-up is still tried for them.
 */
public final class UpstreamPool {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamPool.class);

    private final List<Upstream> upstreams;
    private final Supplier<Instant> clock;
    private final Map<String, UpstreamStatus> status = new ConcurrentHashMap<>();
    private volatile Map<String, List<Upstream>> byModel = Map.of();
    private volatile Instant refreshedAt = Instant.EPOCH;

    public UpstreamPool(List<Upstream> upstreams, Supplier<Instant> clock) {
        this.upstreams = List.copyOf(upstreams);
        this.clock = clock;
        for (Upstream u : this.upstreams) {
            status.put(u.name(), new UpstreamStatus(u.name(), false, List.copyOf(u.configuredModels()),
                    "not checked yet", null));
        }
        byModel = catalogue(); // configured models are served from the start, whatever the first check says
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** Asks every upstream for its models, concurrently, and rebuilds the catalogue. Never fails. */
    public Future<Void> refresh() {
        List<Future<List<String>>> asks = new ArrayList<>();
        for (Upstream u : upstreams) {
            asks.add(u.models()
                    .onSuccess(models -> status.put(u.name(),
                            new UpstreamStatus(u.name(), true, List.copyOf(models), null, clock.get())))
                    .onFailure(e -> {
                        UpstreamStatus before = status.get(u.name());
                        status.put(u.name(), new UpstreamStatus(u.name(), false, before.models(),
                                e.getMessage() != null ? e.getMessage() : e.toString(), clock.get()));
                        LOG.debug("upstream {} did not list its models: {}", u.name(), e.toString());
                    }));
        }
        return Future.join(asks).<Void>mapEmpty().otherwiseEmpty().onComplete(done -> rebuild());
    }

    private void rebuild() {
        byModel = catalogue();
        refreshedAt = clock.get();
    }

    private Map<String, List<Upstream>> catalogue() {
        Map<String, List<Upstream>> map = new LinkedHashMap<>();
        for (Upstream u : upstreams) {
            for (String model : status.get(u.name()).models()) {
                map.computeIfAbsent(model, m -> new ArrayList<>()).add(u);
            }
        }
        map.replaceAll((model, list) -> List.copyOf(list));
        return Collections.unmodifiableMap(map);
    }

    /**
     * The upstreams serving {@code model}: those that answered the last check first, in configured order,
     * then the unreachable ones as a last resort (a server can be back before the next check). Empty when
     * none serves it.
     */
    public List<Upstream> select(String model) {
        List<Upstream> all = byModel.getOrDefault(model, List.of());
        if (all.size() < 2 || all.stream().allMatch(u -> status.get(u.name()).reachable())) {
            return all;
        }
        List<Upstream> ordered = new ArrayList<>(all.size());
        all.stream().filter(u -> status.get(u.name()).reachable()).forEach(ordered::add);
        all.stream().filter(u -> !status.get(u.name()).reachable()).forEach(ordered::add);
        return ordered;
    }

    /** When the catalogue was last rebuilt. */
    public Instant refreshedAt() {
        return refreshedAt;
    }

    /** model → names of the upstreams serving it, sorted by model. */
    public SortedMap<String, List<String>> catalog() {
        SortedMap<String, List<String>> catalog = new TreeMap<>();
        byModel.forEach((model, list) -> catalog.put(model, list.stream().map(Upstream::name).toList()));
        return catalog;
    }

    /** Each upstream's last known state, in priority order. */
    public List<UpstreamStatus> status() {
        return upstreams.stream().map(u -> status.get(u.name())).toList();
    }

    /** Ready when an upstream that answered its last check serves at least one model. */
    public boolean ready() {
        return status.values().stream().anyMatch(s -> s.reachable() && !s.models().isEmpty());
    }

    /**
     * @param reachable whether the last model listing succeeded
     * @param lastError why it failed, or null
     * @param checkedAt when it was last asked, or null if never
     */
    public record UpstreamStatus(String name, boolean reachable, List<String> models, String lastError,
            Instant checkedAt) {
    }
}
