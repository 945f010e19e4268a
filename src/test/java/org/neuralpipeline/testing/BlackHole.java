package org.neuralpipeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback address where a TCP connect neither succeeds nor fails but hangs, as towards a host that drops
 * packets: a listening socket with a backlog of one that never accepts, its queue filled first. Linux then
 * drops further SYNs, so a client's connect waits for its own timeout.
 */
public final class BlackHole implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> filling = new ArrayList<>();

    public BlackHole() {
        try {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                try {
                    s.connect(address, 200);
                    filling.add(s);
                } catch (SocketTimeoutException full) {
                    s.close();
                    return; // the queue is full: connects hang from now on
                }
            }
            throw new IllegalStateException("16 connections were accepted into a backlog of 1: no black hole here");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : filling) {
            s.close();
        }
        server.close();
    }
}
