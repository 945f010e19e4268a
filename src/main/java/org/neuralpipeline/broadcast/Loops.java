package org.neuralpipeline.broadcast;

import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;

/** Running work on a connection's event loop, at once when the caller is already on it. */
final class Loops {
    private Loops() {
    }

    /**
     * Runs {@code task} on {@code context}'s event loop: now, when the calling thread is that loop (the service
     * runs the hub and every connection on one loop), else as a task there. A task costs a queue insert and,
     * from another thread, a wake-up (a system call) of the loop; the hub writes to every viewer for every batch,
     * so that is worth saving.
     */
    static void run(Context context, Runnable task) {
        if (context instanceof ContextInternal internal && internal.nettyEventLoop().inEventLoop()) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }
}
