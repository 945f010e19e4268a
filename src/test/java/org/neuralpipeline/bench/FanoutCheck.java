package org.neuralpipeline.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.neuralpipeline.bench.FanoutViewers.Viewer;

/**
 * Self-check of the load tool's viewers ({@code scripts/bench-fanout.sh --check}; not part of {@code mvn test}).
 *
 * <ol>
 *   <li><b>Framing</b>, {@link FanoutRawViewers} against a scripted server in this process: numbered messages many
 *   to a write and split at random points (down to one byte per write), 16- and 64-bit lengths (one frame longer
 *   than the read buffer), a message in three frames with a ping between them, a {@code Dropped} notice, a gap,
 *   pings that must come back as masked pongs with the same payload, and a close frame whose code must be
 *   recorded and echoed. Every count is compared with what was sent.</li>
 *   <li><b>Live</b>, against the real service: 100 raw and 100 Vert.x viewers side by side (one thread each),
 *   100 messages/s for 12 s; each viewer must count every message of the 10 s window with no gap, both clients
 *   the same, and the messages all viewers received must add up to the server's
 *   {@code neural_pipeline_broadcast_deliveries_total}. Each client's CPU per frame over the window is printed:
 *   measured at the same time on the same messages, the fairest comparison on a shared machine.</li>
 * </ol>
 *
 * Prints what it compared and {@code N passed, N failed}; exits 1 if anything failed.
 */
public final class FanoutCheck {
    private static int passed;
    private static int failed;

    private FanoutCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path java = Path.of(args.length > 0 ? args[0] : ProcessHandle.current().info().command().orElse("java"));
        Path jar = Path.of(args.length > 1 ? args[1] : "target/neural-pipeline.jar");
        Path out = Path.of(args.length > 2 ? args[2] : "target/bench/fanout");
        for (long seed = 1; seed <= 3; seed++) {
            framing(seed, seed == 1 ? 1 : 0);
        }
        batched(FanoutViewers.Client.RAW);
        batched(FanoutViewers.Client.VERTX);
        if (Files.isRegularFile(jar)) {
            live(java, jar, out);
        } else {
            check("live check: " + jar + " exists (build with mvn -Pbench -DskipTests package)", false);
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void check(String what, boolean ok) {
        System.out.println((ok ? "ok    " : "FAILED") + " " + what);
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }

    private static void equal(String what, long expected, long actual) {
        check(String.format(Locale.ROOT, "%s: %d (expected %d)", what, actual, expected), expected == actual);
    }

    // ---- framing against a scripted server ----

    /** What the scripted server sends and what a correct viewer then counts. */
    private static final long WINDOW_START = 5;
    private static final long WINDOW_END = 40;

    /**
     * @param chunk bytes per write; 0 for random sizes (1 to 700)
     */
    private static void framing(long seed, int chunk) throws Exception {
        Random random = new Random(seed);
        ByteArrayOutputStream script = new ByteArrayOutputStream();
        List<byte[]> pings = new ArrayList<>();
        long sent = 0;
        long inWindow = 0;
        long n = 0;
        for (; n < 30; n++) { // many small frames to a write
            script.write(frame(0x1, true, message(n, "")));
            sent++;
            inWindow += n >= WINDOW_START && n < WINDOW_END ? 1 : 0;
        }
        byte[] ping = "ping-1".getBytes(US_ASCII);
        pings.add(ping);
        script.write(frame(0x9, true, ping));
        n += 2; // 30 and 31 never come: a gap of 2, inside the window
        script.write(frame(0x1, true, message(n++, "y".repeat(300)))); // 16-bit length
        script.write(frame(0x1, true, message(n++, "z".repeat(70_000)))); // 64-bit length, > the read buffer
        sent += 2;
        inWindow += 2;
        // one message in three frames, a ping between the second and the third
        byte[] whole = message(n++, "w".repeat(2_000));
        sent++;
        inWindow++;
        script.write(frame(0x1, false, Arrays.copyOfRange(whole, 0, 10)));
        script.write(frame(0x0, false, Arrays.copyOfRange(whole, 10, 1_500)));
        byte[] ping2 = new byte[125];
        random.nextBytes(ping2);
        pings.add(ping2);
        script.write(frame(0x9, true, ping2));
        script.write(frame(0x0, true, Arrays.copyOfRange(whole, 1_500, whole.length)));
        script.write(frame(0x1, true, ("{\"message_type\":\"Dropped\",\"timestamp\":1.5,\"count\":7,"
                + "\"reason\":\"slow_viewer\"}").getBytes(UTF_8)));
        script.write(frame(0xA, true, new byte[] {1, 2})); // an unsolicited pong: ignored
        for (int k = 0; k < 10; k++) {
            script.write(frame(0x1, true, message(n, "")));
            inWindow += n >= WINDOW_START && n < WINDOW_END ? 1 : 0;
            n++;
            sent++;
        }
        script.write(frame(0x8, true, new byte[] {0x0f, (byte) 0xa0})); // close, 4000
        byte[] bytes = script.toByteArray();
        String label = "framing (seed " + seed + (chunk > 0 ? ", " + chunk + " byte per write)" : ", random splits)");

        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<List<String>> server = CompletableFuture.supplyAsync(() -> {
                try (Socket s = listener.accept()) {
                    s.setTcpNoDelay(true);
                    return serve(s, bytes, chunk, random, pings);
                } catch (Exception e) {
                    return List.of("server: " + e);
                }
            });
            FanoutRawViewers viewers = new FanoutRawViewers(1, listener.getLocalPort());
            try {
                viewers.window(WINDOW_START, WINDOW_END);
                equal(label + ": connect failures", 0, viewers.connect(1, 1));
                List<String> problems = server.get(60, TimeUnit.SECONDS);
                check(label + ": server saw pongs and the close echo " + problems, problems.isEmpty());
                Viewer v = viewers.all().getFirst();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!v.closed && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                equal(label + ": received", sent, v.received);
                equal(label + ": in window", inWindow, v.inWindow);
                equal(label + ": last number", n - 1, v.lastN);
                equal(label + ": gaps", 2, v.gaps);
                equal(label + ": gaps in window", 2, v.gapsInWindow);
                equal(label + ": Dropped notices", 1, v.droppedNotices);
                equal(label + ": dropped count", 7, v.droppedCount);
                equal(label + ": other", 0, v.other);
                check(label + ": closed", v.closed);
                equal(label + ": close code", 4000, v.closeCode);
                equal(label + ": latencies recorded", inWindow, viewers.latency().getTotalCount());
                equal(label + ": handshakes recorded", 1, viewers.handshakes().getTotalCount());
            } finally {
                viewers.close();
            }
        }
    }

    private static byte[] message(long n, String text) {
        return ("{\"seq\":" + (n + 1) + ",\"n\":" + n + ",\"t\":" + System.nanoTime()
                + ",\"message_type\":\"BenchTick\",\"text\":\"" + text + "\"}").getBytes(UTF_8);
    }

    /** A server frame: unmasked. */
    private static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(payload.length + 10);
        b.put((byte) ((fin ? 0x80 : 0) | opcode));
        if (payload.length < 126) {
            b.put((byte) payload.length);
        } else if (payload.length < 65_536) {
            b.put((byte) 126).putShort((short) payload.length);
        } else {
            b.put((byte) 127).putLong(payload.length);
        }
        b.put(payload);
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Answers the upgrade, writes the script in pieces, then reads what the client sent; returns problems. */
    private static List<String> serve(Socket s, byte[] script, int chunk, Random random, List<byte[]> pings)
            throws Exception {
        List<String> problems = new ArrayList<>();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return List.of("no request");
            }
            head.append((char) c);
        }
        String key = head.toString().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
        String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(US_ASCII)));
        OutputStream out = s.getOutputStream();
        // the first frames go in the same write as the head
        byte[] answer = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(US_ASCII);
        byte[] first = Arrays.copyOf(answer, answer.length + 40);
        System.arraycopy(script, 0, first, answer.length, 40);
        out.write(first);
        out.flush();
        int at = 40;
        while (at < script.length) {
            int size = Math.min(script.length - at, chunk > 0 ? chunk : 1 + random.nextInt(700));
            out.write(script, at, size);
            out.flush();
            at += size;
            if (random.nextInt(chunk > 0 ? 50 : 4) == 0) {
                Thread.sleep(1); // so that pieces arrive in separate reads
            }
        }
        // the client's frames: the pongs, then the close echo
        DataInputStream data = new DataInputStream(in);
        s.setSoTimeout(10_000);
        int pong = 0;
        while (true) {
            int b0 = data.readUnsignedByte();
            int b1 = data.readUnsignedByte();
            if ((b1 & 0x80) == 0) {
                problems.add("an unmasked client frame");
            }
            int length = b1 & 0x7f;
            byte[] mask = new byte[4];
            data.readFully(mask);
            byte[] payload = new byte[length];
            data.readFully(payload);
            for (int k = 0; k < length; k++) {
                payload[k] ^= mask[k & 3];
            }
            if (b0 == 0x8A) {
                if (pong >= pings.size() || !Arrays.equals(pings.get(pong), payload)) {
                    problems.add("pong " + pong + " does not match its ping");
                }
                pong++;
            } else if (b0 == 0x88) {
                if (payload.length != 2 || (((payload[0] & 0xff) << 8) | (payload[1] & 0xff)) != 4000) {
                    problems.add("close echo " + Arrays.toString(payload) + ", not 4000");
                }
                break;
            } else {
                problems.add("unexpected client frame " + Integer.toHexString(b0));
            }
        }
        if (pong != pings.size()) {
            problems.add(pong + " pongs for " + pings.size() + " pings");
        }
        return problems;
    }

    // ---- cost when each read carries many frames ----

    /**
     * Each client's CPU per frame when the server batches: a scripted server in this process writes 10 frames to
     * each of 200 viewers every 20 ms (100,000 frames/s in 20,000 writes), for 5 s after 2 s of warm-up. The
     * real server writes about one frame per delivery today; this is what the tool costs once it batches.
     */
    private static void batched(FanoutViewers.Client kind) throws Exception {
        int count = 200;
        int perWrite = 10;
        long self = ProcessHandle.current().pid();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        List<Socket> sockets = new ArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, count, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (sockets.size() < count) {
                        Socket s = listener.accept();
                        s.setTcpNoDelay(true);
                        upgrade(s);
                        synchronized (sockets) {
                            sockets.add(s);
                        }
                    }
                } catch (Exception e) {
                    System.out.println("batched: accept: " + e);
                }
            });
            FanoutViewers viewers = FanoutViewers.create(kind, vertx, 1, 0, listener.getLocalPort(), count + 10);
            try {
                viewers.window(0, Long.MAX_VALUE);
                equal("batched, " + kind + ": connect failures", 0, viewers.connect(count, 50));
                acceptor.join(10_000);
                long n = 0;
                long start = System.nanoTime();
                Map<String, Long> cpu0 = null;
                long frames0 = 0;
                String load0 = null;
                for (int tick = 0; tick < 350; tick++) {
                    if (tick == 100) {
                        cpu0 = ProcStats.cpuMillisByThread(self);
                        frames0 = totals(viewers.all())[2];
                        load0 = ProcStats.loadAverage();
                    }
                    ByteArrayOutputStream batch = new ByteArrayOutputStream();
                    for (int k = 0; k < perWrite; k++) {
                        batch.write(frame(0x1, true, message(n++, "x".repeat(140))));
                    }
                    byte[] bytes = batch.toByteArray();
                    synchronized (sockets) {
                        for (Socket s : sockets) {
                            s.getOutputStream().write(bytes);
                        }
                    }
                    long due = start + (tick + 1) * 20_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                Map<String, Long> cpu1 = ProcStats.cpuMillisByThread(self);
                long frames = totals(viewers.all())[2] - frames0;
                long ms = cpu(cpu0, cpu1, viewers.threadPrefix());
                System.out.printf(Locale.ROOT, "batched: %s viewers, %d frames a write, load %s: CPU per frame "
                        + "%.2f µs (%d ms, %d frames)%n", kind, perWrite, load0, ms * 1000.0 / frames, ms, frames);
                equal("batched, " + kind + ": gaps", 0, totals(viewers.all())[3]);
            } finally {
                synchronized (sockets) {
                    for (Socket s : sockets) {
                        s.close();
                    }
                }
                viewers.close();
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads an upgrade request from {@code s} and answers it with 101. */
    private static void upgrade(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("no request");
            }
            head.append((char) c);
        }
        String key = head.toString().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
        String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(US_ASCII)));
        s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(US_ASCII));
    }

    // ---- live, against the real service ----

    private static void live(Path java, Path jar, Path out) throws Exception {
        int perClient = 100;
        double rate = 100;
        long windowStart = 200;
        long windowEnd = 1_200;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try (FanoutServer server = FanoutServer.start(java, jar, List.of(), Map.of(), out, "check")) {
            FanoutViewers raw = new FanoutRawViewers(1, server.port());
            FanoutViewers vx = new FanoutVertxViewers(vertx, 1, server.port(), perClient + 10);
            try {
                equal("live: raw viewers that failed to connect", 0, raw.connect(perClient, 50));
                equal("live: Vert.x viewers that failed to connect", 0, vx.connect(perClient, 50));
                raw.window(windowStart, windowEnd);
                vx.window(windowStart, windowEnd);
                double before = FanoutServer.sum(server.metrics(), "neural_pipeline_broadcast_deliveries_total");
                long published;
                try (FanoutPublisher publisher = new FanoutPublisher(FanoutPublisher.Transport.SOCKET,
                        server.socket(), server.port(), rate, 1, FanoutReport.MESSAGE_BYTES).start()) {
                    // each client's threads' CPU per frame over the window: same server, same messages, same time
                    long self = ProcessHandle.current().pid();
                    publisher.awaitSent(windowStart);
                    Map<String, Long> cpu0 = ProcStats.cpuMillisByThread(self);
                    long raw0 = totals(raw.all())[2];
                    long vx0 = totals(vx.all())[2];
                    String load0 = ProcStats.loadAverage();
                    publisher.awaitSent(windowEnd);
                    Map<String, Long> cpu1 = ProcStats.cpuMillisByThread(self);
                    long rawFrames = totals(raw.all())[2] - raw0;
                    long vxFrames = totals(vx.all())[2] - vx0;
                    System.out.printf(Locale.ROOT, "cost: %d viewers each at %.0f/s, load %s -> %s: CPU per frame "
                                    + "raw %.2f µs (%d ms, %d frames), Vert.x %.2f µs (%d ms, %d frames)%n",
                            perClient, rate, load0, ProcStats.loadAverage(),
                            cpu(cpu0, cpu1, raw.threadPrefix()) * 1000.0 / rawFrames,
                            cpu(cpu0, cpu1, raw.threadPrefix()), rawFrames,
                            cpu(cpu0, cpu1, vx.threadPrefix()) * 1000.0 / vxFrames,
                            cpu(cpu0, cpu1, vx.threadPrefix()), vxFrames);
                    publisher.awaitSent(windowEnd + 50);
                    publisher.close();
                    published = publisher.sent();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (System.nanoTime() < deadline
                        && !(allGot(raw.all(), published) && allGot(vx.all(), published))) {
                    Thread.sleep(50);
                }
                Thread.sleep(500);
                double after = FanoutServer.sum(server.metrics(), "neural_pipeline_broadcast_deliveries_total");
                long expected = windowEnd - windowStart;
                long[] r = totals(raw.all());
                long[] v = totals(vx.all());
                String fields = "in window, least in window, received, gaps, Dropped notices, other, closed";
                System.out.println("live: published " + published + "; " + fields + ": raw " + Arrays.toString(r)
                        + ", vertx " + Arrays.toString(v));
                equal("live: raw viewers' messages in the window", expected * perClient, r[0]);
                equal("live: Vert.x viewers' messages in the window", expected * perClient, v[0]);
                equal("live: least in the window, raw", expected, r[1]);
                equal("live: least in the window, Vert.x", expected, v[1]);
                equal("live: received, raw and Vert.x the same", v[2], r[2]);
                equal("live: raw viewers received every message published", published * perClient, r[2]);
                equal("live: gaps, raw", 0, r[3]);
                equal("live: gaps, Vert.x", 0, v[3]);
                equal("live: other messages, raw", 0, r[5]);
                equal("live: closed, raw", 0, r[6]);
                equal("live: server's deliveries = messages all viewers received (notices too)",
                        r[2] + v[2] + r[4] + v[4], Math.round(after - before));
                Histogram lr = raw.latency();
                Histogram lv = vx.latency();
                equal("live: latencies recorded, raw", expected * perClient, lr.getTotalCount());
                equal("live: latencies recorded, Vert.x", expected * perClient, lv.getTotalCount());
                System.out.printf(Locale.ROOT, "live: latency p50 / p99 / max, ms: raw %.2f / %.2f / %.2f, "
                                + "Vert.x %.2f / %.2f / %.2f (not compared: same messages, different threads)%n",
                        lr.getValueAtPercentile(50) / 1e3, lr.getValueAtPercentile(99) / 1e3,
                        lr.getMaxValue() / 1e3, lv.getValueAtPercentile(50) / 1e3,
                        lv.getValueAtPercentile(99) / 1e3, lv.getMaxValue() / 1e3);
            } finally {
                raw.close();
                vx.close();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** CPU ms of the threads whose names start with {@code prefix}, between two readings. */
    private static long cpu(Map<String, Long> before, Map<String, Long> after, String prefix) {
        long ms = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                ms += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        return ms;
    }

    private static boolean allGot(List<Viewer> viewers, long published) {
        for (Viewer v : viewers) {
            if (v.lastN < published - 1) {
                return false;
            }
        }
        return true;
    }

    private static long[] totals(List<Viewer> viewers) {
        long[] t = new long[7];
        t[1] = Long.MAX_VALUE;
        for (Viewer v : viewers) {
            t[0] += v.inWindow;
            t[1] = Math.min(t[1], v.inWindow);
            t[2] += v.received;
            t[3] += v.gaps;
            t[4] += v.droppedNotices;
            t[5] += v.other;
            t[6] += v.closed ? 1 : 0;
        }
        return t;
    }
}
