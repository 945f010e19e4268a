package org.neuralpipeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Port helpers for tests that need an address where nothing listens. */
public final class Ports {
    private Ports() {
    }

    /**
     * A loopback port that was free a moment ago and is closed now, so connecting to it is refused. Another
     * process could take it in between; on a test machine that is rare enough.
     */
    public static int refusedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
