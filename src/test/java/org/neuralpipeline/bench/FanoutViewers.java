package org.neuralpipeline.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * WebSocket viewers of {@code GET /ws} in the load tool's process, each counting the messages it receives and
 * recording publish-to-receive latency from the publisher's {@code nanoTime} stamp in the payload: same process,
 * same monotonic clock. Only messages numbered inside the measurement window ({@link #window}) are counted, so
 * warm-up and drain do not blur the result.
 *
 * <p>Two implementations measure the same things: {@link FanoutRawViewers} (the default: a few NIO selector
 * threads that do the upgrade handshake and parse frames straight out of one read buffer, so that the tool takes
 * as little of the shared machine as it can) and {@link FanoutVertxViewers} (Vert.x's WebSocket client, several
 * times the CPU per frame; kept to cross-check the first).
 *
 * <p>Each message is read without a JSON parser: the hub writes {@code {"seq":S,} and then the ingested fields
 * in their order, so {@code "n"} and {@code "t"} are the next two fields. Anything else (a {@code Dropped}
 * notice) takes the slow path.
 *
 * <p>{@link SlowViewer}s are plain sockets that complete the handshake and then never read again: what a
 * stalled browser tab looks like to the server.
 */
abstract class FanoutViewers implements AutoCloseable {
    static final byte[] SEQ = "{\"seq\":".getBytes(US_ASCII);
    static final byte[] N = ",\"n\":".getBytes(US_ASCII);
    static final byte[] T = ",\"t\":".getBytes(US_ASCII);
    /** Highest latency and handshake time recorded, µs; longer ones are recorded as this. */
    static final long HIGHEST = TimeUnit.SECONDS.toMicros(120);

    /** Which client the viewers use. */
    enum Client {
        RAW, VERTX;

        static Client parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * One viewer's counts: written by the thread that reads its socket, read by the main thread (after the drain,
     * or {@link #lastN} and {@link #closed} while waiting for it).
     */
    static final class Viewer {
        volatile int inWindow;
        volatile long lastN = -1;
        /** Numbered messages received, the whole run (in the window or not). */
        volatile long received;
        /** Messages skipped (numbers never received), the whole run. */
        volatile long gaps;
        /** Of those, numbered inside the window. */
        volatile long gapsInWindow;
        volatile long droppedNotices;
        volatile long droppedCount;
        volatile long other;
        volatile boolean closed;
        /** The code of the server's close frame; 1006 when the connection ended without one (raw client). */
        volatile short closeCode;
    }

    final List<Viewer> viewers = new ArrayList<>();
    final AtomicLong connectFailures = new AtomicLong();
    volatile long windowStart = Long.MAX_VALUE;
    volatile long windowEnd = Long.MAX_VALUE;

    static FanoutViewers create(Client client, Vertx vertx, int threads, long pollMicros, int port,
            int maxConnections) throws IOException {
        return client == Client.RAW ? new FanoutRawViewers(threads, port, pollMicros)
                : new FanoutVertxViewers(vertx, threads, port, maxConnections);
    }

    /** Counts and times messages numbered {@code start} (inclusive) to {@code end} (exclusive). */
    void window(long start, long end) {
        windowStart = start;
        windowEnd = end;
    }

    List<Viewer> all() {
        return viewers;
    }

    /** Connects {@code count} viewers, {@code burst} handshakes at a time; returns how many failed. */
    abstract long connect(int count, int burst) throws Exception;

    /**
     * {@code cycles} connect-then-close cycles, {@code burst} viewers connected at once and then closed
     * together; each handshake is timed. Returns how many failed.
     */
    abstract long churn(int cycles, int burst) throws Exception;

    /** Publish-to-receive latency of in-window messages, µs, every viewer: a copy, taken now. */
    abstract Histogram latency() throws Exception;

    /** Connect-to-upgraded time of each WebSocket handshake, µs: a copy, taken now. */
    abstract Histogram handshakes() throws Exception;

    abstract void resetHandshakes() throws Exception;

    /** How the threads that read the viewers' sockets start in {@link ProcStats#cpuMillisByThread}, to tell
     *  their CPU from the publisher's and the JVM's. */
    abstract String threadPrefix();

    /** Wake-ups of the viewer threads that found a socket ready, and socket reads, so far; null if not known. */
    long[] wakeupsAndReads() {
        return null;
    }

    /** Closes every viewer and the client. */
    @Override
    public abstract void close() throws Exception;

    /** Adds the messages numbered inside the window that a jump from {@code last} to {@code n} skipped. */
    static long gapInWindow(long last, long n, long start, long end) {
        long missing = Math.min(n, end) - Math.max(last + 1, start);
        return Math.max(0, missing);
    }

    /** Latency in µs from the publisher's stamp, clamped to what the histograms hold. */
    static long micros(long now, long t) {
        return Math.min(HIGHEST, Math.max(0, (now - t) / 1000));
    }

    /** Counts a message that did not take the fast path: a {@code Dropped} notice, or something else. */
    static void slowPath(Viewer v, String text) {
        if (text.contains("\"message_type\":\"Dropped\"")) {
            v.droppedNotices++;
            int at = text.indexOf("\"count\":");
            if (at >= 0) {
                int i = at + 8;
                long count = 0;
                while (i < text.length() && Character.isDigit(text.charAt(i))) {
                    count = count * 10 + text.charAt(i++) - '0';
                }
                v.droppedCount += count;
            }
        } else {
            v.other++;
        }
    }

    /**
     * A viewer that upgrades to a WebSocket and then never reads: a small receive buffer (set before connecting,
     * so the window is small from the start) fills within seconds, then the server's send buffer, then its queue.
     */
    static final class SlowViewer implements AutoCloseable {
        private final Socket socket = new Socket();

        SlowViewer(int port, int receiveBuffer) throws IOException {
            socket.setReceiveBufferSize(receiveBuffer);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(10_000);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            socket.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n\r\n").getBytes(US_ASCII));
            // read the response head byte by byte, so that not one byte of a frame is taken
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("the server closed the slow viewer's handshake: " + head);
                }
                head.append((char) c);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                throw new IOException("the slow viewer was not upgraded: " + head.toString().lines().findFirst()
                        .orElse(""));
            }
        }

        /** Whether the server has not closed it (a read would block, or there is unread data). */
        boolean open() {
            return !socket.isClosed();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
