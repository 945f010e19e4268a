package org.neuralpipeline.broadcast;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The last {@code capacity} sequence numbers' frames, for viewers that reconnect and for
 * {@code /v1/neural/recent}. Frames are added in increasing sequence order (seq 1, 2, 3, …); the slot of seq
 * {@code s} is {@code s % capacity}, so lookups are O(1) and nothing is ever copied. Frames are held as the hub
 * made them, most not encoded yet: whoever reads one encodes it. Confined to the hub's thread.
 */
final class ReplayRing {
    private final Frame[] slots;
    /** The seq of the oldest frame held; equals {@link #next} when empty. */
    private long first = 1;
    /** The seq the next frame will have. */
    private long next = 1;

    ReplayRing(int capacity) {
        this.slots = new Frame[capacity];
    }

    void add(Frame frame) {
        if (frame.seq() < next) {
            throw new IllegalArgumentException("seq " + frame.seq() + " (expected: " + next + " or more)");
        }
        next = frame.seq() + 1;
        if (slots.length == 0) {
            first = next;
            return;
        }
        slots[(int) (frame.seq() % slots.length)] = frame;
        first = Math.max(first, next - slots.length);
    }

    /** The seq of the oldest frame held (the latest + 1 when none is). */
    long oldest() {
        return first;
    }

    /** The seq of the newest frame added, 0 before the first. */
    long latest() {
        return next - 1;
    }

    /** The frame with this seq, or null when it is not (or no longer) held. */
    Frame get(long seq) {
        if (seq < first || seq >= next) {
            return null;
        }
        Frame f = slots[(int) (seq % slots.length)];
        return f != null && f.seq() == seq ? f : null;
    }

    /**
     * Up to {@code limit} of the newest frames that {@code accept} takes, oldest first; {@code accept} sees
     * the frames newest first and no more than needed (it may encode them).
     */
    List<Frame> newest(int limit, Predicate<Frame> accept) {
        List<Frame> found = new ArrayList<>();
        for (long seq = latest(); seq >= first && found.size() < limit; seq--) {
            Frame f = get(seq);
            if (f != null && accept.test(f)) {
                found.add(f);
            }
        }
        return found.reversed();
    }
}
