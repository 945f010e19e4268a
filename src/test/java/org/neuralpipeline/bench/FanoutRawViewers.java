package org.neuralpipeline.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Viewers on plain NIO ({@code --client raw}, the default): a few selector threads ({@code fanout-viewer-N}),
 * each with its own {@link Selector}, one direct read buffer and its own latency and handshake histograms
 * (merged when asked for, on the threads themselves, so recording is a plain {@link Histogram#recordValue}).
 *
 * <p>A viewer connects without blocking, sends the upgrade request itself and checks the answer: status 101,
 * {@code Upgrade: websocket}, {@code Connection: upgrade} and {@code Sec-WebSocket-Accept} computed from its key
 * (RFC 6455, 4.1); no extension was offered, so none may be answered. Then each read goes into the thread's
 * buffer (after the few bytes of a frame the previous read left incomplete) and every complete frame in it is
 * parsed where it lies, without allocating: a text or binary message takes the fast path of
 * {@link FanoutViewers}; a ping is answered with a masked pong of the same payload; a close frame's code is
 * recorded and echoed, and the socket closed. A message in several frames (continuation frames, which may have
 * control frames between them) is gathered into the viewer's own array first, and so is a frame too long for the
 * read buffer. A masked server frame, reserved bits or opcodes, or a broken fragmentation close the viewer with
 * 1002 and count as {@code other}. The time of receipt is taken once per read, just after it returns.
 *
 * <p>A viewer's counts are plain fields of its connection, copied to its {@link Viewer} (volatile) once per read.
 */
final class FanoutRawViewers extends FanoutViewers {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** The read buffer of each thread: many frames per read, and a frame up to this long is parsed in place. */
    static final int READ_BUFFER = 64 * 1024;
    /** Longest message kept whole when it comes in pieces; the rest of a longer one is read and not kept. */
    private static final int MAX_GATHERED = 1 << 20;
    private static final int HEAD_LIMIT = 16 * 1024;

    private final int port;
    private final Loop[] loops;
    private int next;

    private final String host;

    FanoutRawViewers(int threads, int port) throws IOException {
        this(threads, port, 0);
    }

    /**
     * @param pollMicros after a select that found sockets ready, how long a thread waits before the next one, so
     *                   that each wake-up reads more frames (0: none). Frames are then read (and timed) up to this
     *                   late: latency is over-stated by up to this much.
     */
    FanoutRawViewers(int threads, int port, long pollMicros) throws IOException {
        this.port = port;
        this.host = "127.0.0.1";
        this.loops = new Loop[Math.max(1, threads)];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new Loop(i, TimeUnit.MICROSECONDS.toNanos(pollMicros));
        }
    }

    @Override
    long connect(int count, int burst) throws Exception {
        long failedBefore = connectFailures.get();
        for (int done = 0; done < count; done += burst) {
            List<Conn> opening = new ArrayList<>();
            for (int i = done; i < Math.min(count, done + burst); i++) {
                opening.add(open(new Viewer()));
            }
            await(opening.stream().map(c -> c.opened).toList(), 120);
            synchronized (viewers) {
                for (Conn c : opening) {
                    if (c.opened.join()) {
                        viewers.add(c.viewer);
                    }
                }
            }
        }
        return connectFailures.get() - failedBefore;
    }

    @Override
    long churn(int cycles, int burst) throws Exception {
        long failedBefore = connectFailures.get();
        for (int done = 0; done < cycles; done += burst) {
            List<Conn> opening = new ArrayList<>();
            for (int i = done; i < Math.min(cycles, done + burst); i++) {
                opening.add(open(new Viewer()));
            }
            await(opening.stream().map(c -> c.opened).toList(), 120);
            List<CompletableFuture<?>> closing = new ArrayList<>();
            for (Conn c : opening) {
                if (c.opened.join()) {
                    closing.add(c.close());
                }
            }
            await(closing, 120);
        }
        return connectFailures.get() - failedBefore;
    }

    private Conn open(Viewer v) {
        Loop loop = loops[next++ % loops.length];
        Conn c = new Conn(loop, v);
        loop.submit(c::connect);
        return c;
    }

    private static void await(List<? extends CompletableFuture<?>> futures, int seconds) throws Exception {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(seconds, TimeUnit.SECONDS);
    }

    @Override
    Histogram latency() throws Exception {
        return merged(l -> l.latency);
    }

    @Override
    Histogram handshakes() throws Exception {
        return merged(l -> l.handshakes);
    }

    /** One histogram of every loop's, each copied on its own loop's thread (they are not thread-safe). */
    private Histogram merged(Function<Loop, Histogram> histogram) throws Exception {
        Histogram all = new Histogram(HIGHEST, 3);
        for (Loop l : loops) {
            all.add(l.call(() -> histogram.apply(l).copy()));
        }
        return all;
    }

    @Override
    void resetHandshakes() throws Exception {
        for (Loop l : loops) {
            l.call(() -> {
                l.handshakes.reset();
                return null;
            });
        }
    }

    @Override
    String threadPrefix() {
        return "fanout-viewer";
    }

    @Override
    long[] wakeupsAndReads() {
        long[] n = new long[2];
        for (Loop l : loops) {
            n[0] += l.wakeups;
            n[1] += l.reads;
        }
        return n;
    }

    /** Sends a close frame (1000) on every open viewer, waits for the server's answer (10 s at most), stops. */
    @Override
    public void close() throws Exception {
        List<CompletableFuture<?>> closing = new ArrayList<>();
        for (Loop l : loops) {
            closing.add(l.call(() -> {
                List<CompletableFuture<?>> mine = new ArrayList<>();
                for (SelectionKey k : l.selector.keys()) {
                    if (k.attachment() instanceof Conn c) {
                        mine.add(c.close());
                    }
                }
                return CompletableFuture.allOf(mine.toArray(CompletableFuture[]::new));
            }));
        }
        try {
            await(closing, 10);
        } catch (TimeoutException e) {
            // the stop below closes what is left
        }
        for (Loop l : loops) {
            l.stop();
        }
    }

    /** One selector thread and what it owns. Everything but {@link #submit} runs on the thread. */
    static final class Loop implements Runnable {
        final Selector selector;
        final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
        final Histogram latency = new Histogram(HIGHEST, 3);
        final Histogram handshakes = new Histogram(HIGHEST, 3);
        private final Thread thread;
        private volatile boolean running = true;
        /** The window, read once per select (it is set before the publisher starts). */
        long windowStart;
        long windowEnd;

        private final long pollNanos;
        /** Selects that found a socket ready, and reads: plain counters of this thread, read racily for a log. */
        long wakeups;
        long reads;

        Loop(int index, long pollNanos) throws IOException {
            this.pollNanos = pollNanos;
            selector = Selector.open();
            thread = Thread.ofPlatform().name("fanout-viewer-" + index).daemon().start(this);
        }

        void submit(Runnable task) {
            tasks.add(task);
            selector.wakeup();
        }

        <T> T call(Callable<T> task) throws Exception {
            if (!thread.isAlive()) {
                return task.call();
            }
            CompletableFuture<T> done = new CompletableFuture<>();
            submit(() -> {
                try {
                    done.complete(task.call());
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            return done.get(30, TimeUnit.SECONDS);
        }

        void stop() throws InterruptedException {
            running = false;
            selector.wakeup();
            thread.join(10_000);
        }

        @Override
        public void run() {
            try {
                while (running) {
                    int ready = selector.select(this::ready, 1000);
                    Runnable task;
                    while ((task = tasks.poll()) != null) {
                        task.run();
                    }
                    if (ready > 0) {
                        wakeups++;
                    }
                    if (pollNanos > 0 && ready > 0) {
                        LockSupport.parkNanos(pollNanos);
                    }
                }
            } catch (IOException e) {
                FanoutLoad.log("viewer thread %s: %s", thread.getName(), e);
            } finally {
                for (SelectionKey k : selector.keys()) {
                    if (k.attachment() instanceof Conn c) {
                        c.end((short) 1006);
                    }
                }
                try {
                    selector.close();
                } catch (IOException e) {
                    // nothing left to do
                }
            }
        }

        private void ready(SelectionKey key) {
            Conn c = (Conn) key.attachment();
            try {
                int ops = key.readyOps();
                if ((ops & SelectionKey.OP_CONNECT) != 0) {
                    c.connected();
                    return;
                }
                if ((ops & SelectionKey.OP_WRITE) != 0) {
                    c.flush();
                }
                if ((ops & SelectionKey.OP_READ) != 0 && key.isValid()) {
                    c.read();
                }
            } catch (IOException | RuntimeException e) {
                c.fail(e);
            }
        }
    }

    private static final int CONNECTING = 0;
    private static final int UPGRADING = 1;
    private static final int OPEN = 2;
    private static final int CLOSED = 3;

    /** One viewer's connection; used on its loop's thread only (but for the futures). */
    final class Conn {
        final Loop loop;
        final Viewer viewer;
        /** True once upgraded, false if the connection or the handshake failed. */
        final CompletableFuture<Boolean> opened = new CompletableFuture<>();
        /** Done when the socket is closed. */
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        private SocketChannel channel;
        private SelectionKey key;
        private int state = CONNECTING;
        private long started;
        private String accept;
        /** Bytes of the previous read not yet parsed: part of the response head or of a frame. */
        private byte[] carry = new byte[512];
        private int carryLength;
        /** Output that did not fit into the socket (rare: handshake, pongs, close). */
        private ByteBuffer pending;
        private boolean closeSent;
        /** The opcode of the message being gathered from several frames, or -1. */
        private int gathering = -1;
        private byte[] gathered;
        private int gatheredLength;
        /** Payload bytes still to come of a frame longer than the read buffer; its opcode and FIN bit. */
        private long streaming;
        private int streamOpcode;
        private boolean streamFin;
        // counts, copied to the viewer after each read
        private int inWindow;
        private long lastN = -1;
        private long received;
        private long gaps;
        private long gapsInWindow;

        Conn(Loop loop, Viewer viewer) {
            this.loop = loop;
            this.viewer = viewer;
        }

        void connect() {
            try {
                started = System.nanoTime();
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (channel.connect(new InetSocketAddress(host, port))) {
                    key = channel.register(loop.selector, SelectionKey.OP_READ, this);
                    upgrade();
                } else {
                    key = channel.register(loop.selector, SelectionKey.OP_CONNECT, this);
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        void connected() throws IOException {
            channel.finishConnect();
            key.interestOps(SelectionKey.OP_READ);
            upgrade();
        }

        private void upgrade() throws IOException {
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            String key64 = Base64.getEncoder().encodeToString(nonce);
            try {
                accept = Base64.getEncoder().encodeToString(
                        MessageDigest.getInstance("SHA-1").digest((key64 + GUID).getBytes(US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            state = UPGRADING;
            write(("GET /ws HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key64
                    + "\r\n\r\n").getBytes(US_ASCII));
        }

        void read() throws IOException {
            ByteBuffer in = loop.in;
            in.clear();
            if (carryLength > 0) {
                in.put(carry, 0, carryLength);
                carryLength = 0;
            }
            int n = channel.read(in);
            long now = System.nanoTime();
            loop.reads++;
            in.flip();
            if (state == UPGRADING && !head(now)) {
                if (n < 0) {
                    fail(new IOException("the server closed the connection during the handshake"));
                }
                return;
            }
            if (state == OPEN && in.hasRemaining()) {
                loop.windowStart = windowStart;
                loop.windowEnd = windowEnd;
                frames(in, now);
                publish();
            }
            if (n < 0 && state != CLOSED) {
                end((short) 1006);
            }
        }

        /** Reads the response head if it is all there; false if not (yet) upgraded. */
        private boolean head(long now) throws IOException {
            ByteBuffer in = loop.in;
            int end = -1;
            for (int i = in.position(); i + 3 < in.limit(); i++) {
                if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                    end = i + 4;
                    break;
                }
            }
            if (end < 0) {
                if (in.remaining() > HEAD_LIMIT) {
                    throw new IOException("response head longer than " + HEAD_LIMIT + " bytes");
                }
                keep(in, in.position());
                return false;
            }
            byte[] bytes = new byte[end - in.position()];
            in.get(bytes);
            String problem = checkHead(new String(bytes, US_ASCII), accept);
            if (problem != null) {
                throw new IOException(problem);
            }
            state = OPEN;
            loop.handshakes.recordValue(micros(now, started));
            opened.complete(true);
            return true;
        }

        /** Parses every complete frame from the buffer's position on; keeps an incomplete one for the next read. */
        private void frames(ByteBuffer in, long now) throws IOException {
            int p = in.position();
            int limit = in.limit();
            while (state == OPEN) {
                if (streaming > 0) {
                    int take = (int) Math.min(streaming, limit - p);
                    gather(in, p, take);
                    p += take;
                    streaming -= take;
                    if (streaming > 0) {
                        break;
                    }
                    if (streamFin) {
                        whole(now);
                    }
                    continue;
                }
                int available = limit - p;
                if (available < 2) {
                    break;
                }
                int b0 = in.get(p);
                int b1 = in.get(p + 1);
                int opcode = b0 & 0x0f;
                boolean fin = (b0 & 0x80) != 0;
                long length = b1 & 0x7f;
                int header = 2;
                if (length == 126) {
                    if (available < 4) {
                        break;
                    }
                    length = in.getShort(p + 2) & 0xffff;
                    header = 4;
                } else if (length == 127) {
                    if (available < 10) {
                        break;
                    }
                    length = in.getLong(p + 2);
                    header = 10;
                }
                if ((b1 & 0x80) != 0 || (b0 & 0x70) != 0 || length < 0
                        || (opcode >= 8 && (!fin || length > 125))) {
                    protocolError();
                    return;
                }
                if (header + length > available) {
                    if (header + length <= in.capacity() || opcode >= 8) {
                        break; // the rest comes with the next read
                    }
                    // longer than the read buffer: gather its payload across reads
                    if (!startMessage(opcode, fin)) {
                        return;
                    }
                    streaming = length;
                    streamOpcode = opcode;
                    streamFin = fin;
                    p += header;
                    continue;
                }
                int payload = p + header;
                p = payload + (int) length;
                frame(in, opcode, fin, payload, (int) length, now);
            }
            if (state == OPEN) {
                keep(in, p);
            }
        }

        private void frame(ByteBuffer in, int opcode, boolean fin, int at, int length, long now) throws IOException {
            switch (opcode) {
                case 0x1, 0x2 -> {
                    if (gathering >= 0) {
                        protocolError(); // a new message inside a fragmented one
                    } else if (fin) {
                        message(in, at, at + length, now);
                    } else {
                        gathering = opcode;
                        gatheredLength = 0;
                        gather(in, at, length);
                    }
                }
                case 0x0 -> {
                    if (gathering < 0) {
                        protocolError(); // a continuation of nothing
                    } else {
                        gather(in, at, length);
                        if (fin) {
                            whole(now);
                        }
                    }
                }
                case 0x9 -> control(0xA, in, at, length);
                case 0xA -> {
                }
                case 0x8 -> {
                    short code = length >= 2 ? in.getShort(at) : 1005;
                    if (!closeSent) {
                        control(0x8, in, at, Math.min(length, 2));
                    }
                    end(code);
                }
                default -> protocolError();
            }
        }

        /** For a frame longer than the read buffer: a message starts (text, binary) or goes on (continuation). */
        private boolean startMessage(int opcode, boolean fin) throws IOException {
            if (opcode == 0x0 ? gathering < 0 : gathering >= 0) {
                protocolError();
                return false;
            }
            if (opcode != 0x0) {
                gathering = opcode;
                gatheredLength = 0;
            }
            return true;
        }

        private void gather(ByteBuffer in, int at, int length) {
            int kept = Math.min(length, MAX_GATHERED - gatheredLength);
            if (gathered == null || gathered.length < gatheredLength + kept) {
                gathered = Arrays.copyOf(gathered == null ? new byte[0] : gathered,
                        Math.max(gatheredLength + kept, Math.min(MAX_GATHERED, 2 * gatheredLength + 256)));
            }
            in.get(at, gathered, gatheredLength, kept);
            gatheredLength += kept;
        }

        /** The last frame of a gathered message has come (text or binary: both take the same path). */
        private void whole(long now) {
            message(ByteBuffer.wrap(gathered, 0, gatheredLength), 0, gatheredLength, now);
            gathering = -1;
            gatheredLength = 0;
            if (gathered.length > READ_BUFFER) {
                gathered = null;
            }
        }

        /** One whole message, {@code at} to {@code end} of {@code b}: the fast path, else the slow one. */
        private void message(ByteBuffer b, int at, int end, long now) {
            int i = at + SEQ.length;
            if (!startsWith(b, at, end, SEQ)) {
                slow(b, at, end);
                return;
            }
            while (i < end && b.get(i) != ',') {
                i++;
            }
            if (!startsWith(b, i, end, N)) {
                slow(b, at, end);
                return;
            }
            i += N.length;
            long n = 0;
            byte c;
            while (i < end && (c = b.get(i)) >= '0' && c <= '9') {
                n = n * 10 + c - '0';
                i++;
            }
            if (!startsWith(b, i, end, T)) {
                viewer.other++;
                return;
            }
            i += T.length;
            long t = 0;
            while (i < end && (c = b.get(i)) >= '0' && c <= '9') {
                t = t * 10 + c - '0';
                i++;
            }
            long last = lastN;
            if (last >= 0 && n > last + 1) {
                gaps += n - last - 1;
                // the part of the gap inside the window: messages of the window this viewer never got
                gapsInWindow += gapInWindow(last, n, loop.windowStart, loop.windowEnd);
            }
            lastN = n;
            received++;
            if (n >= loop.windowStart && n < loop.windowEnd) {
                inWindow++;
                loop.latency.recordValue(micros(now, t));
            }
        }

        private void slow(ByteBuffer b, int at, int end) {
            byte[] text = new byte[end - at];
            b.get(at, text);
            slowPath(viewer, new String(text, UTF_8));
        }

        private static boolean startsWith(ByteBuffer b, int at, int end, byte[] prefix) {
            if (at + prefix.length > end) {
                return false;
            }
            for (int k = 0; k < prefix.length; k++) {
                if (b.get(at + k) != prefix[k]) {
                    return false;
                }
            }
            return true;
        }

        /** Copies the counts to the viewer: volatile writes, once per read and only of what changed. */
        private void publish() {
            Viewer v = viewer;
            if (v.inWindow != inWindow) {
                v.inWindow = inWindow;
            }
            if (v.received != received) {
                v.received = received;
            }
            if (v.gaps != gaps) {
                v.gaps = gaps;
                v.gapsInWindow = gapsInWindow;
            }
            if (v.lastN != lastN) {
                v.lastN = lastN;
            }
        }

        /** Sends a control frame (pong or close) whose payload is {@code length} bytes of {@code in}, masked. */
        private void control(int opcode, ByteBuffer in, int at, int length) throws IOException {
            byte[] frame = new byte[6 + length];
            frame[0] = (byte) (0x80 | opcode);
            frame[1] = (byte) (0x80 | length);
            int mask = ThreadLocalRandom.current().nextInt();
            for (int k = 0; k < 4; k++) {
                frame[2 + k] = (byte) (mask >>> (24 - 8 * k));
            }
            for (int k = 0; k < length; k++) {
                frame[6 + k] = (byte) (in.get(at + k) ^ frame[2 + (k & 3)]);
            }
            if (opcode == 0x8) {
                closeSent = true;
            }
            write(frame);
        }

        private void write(byte[] bytes) throws IOException {
            if (pending != null) {
                ByteBuffer more = ByteBuffer.allocate(pending.remaining() + bytes.length);
                more.put(pending).put(bytes).flip();
                pending = more;
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            channel.write(b);
            if (b.hasRemaining()) {
                pending = b;
                key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
            }
        }

        void flush() throws IOException {
            if (pending != null) {
                channel.write(pending);
                if (pending.hasRemaining()) {
                    return;
                }
                pending = null;
            }
            key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
        }

        /** Keeps the bytes from {@code from} to the limit of the read buffer for the next read. */
        private void keep(ByteBuffer in, int from) {
            int n = in.limit() - from;
            if (n > carry.length) {
                carry = new byte[Math.max(n, 2 * carry.length)];
            }
            in.get(from, carry, 0, n);
            carryLength = n;
        }

        /** Client-initiated close (1000); done when the server has answered or the socket is closed. */
        CompletableFuture<Void> close() {
            loop.submit(() -> {
                try {
                    if (state == OPEN && !closeSent) {
                        control(0x8, ByteBuffer.wrap(new byte[] {0x03, (byte) 0xe8}), 0, 2);
                    } else if (state != OPEN) {
                        end((short) 1006);
                    }
                } catch (IOException | RuntimeException e) {
                    fail(e);
                }
            });
            return ended;
        }

        private void protocolError() throws IOException {
            viewer.other++;
            if (!closeSent) {
                control(0x8, ByteBuffer.wrap(new byte[] {0x03, (byte) 0xea}), 0, 2);
            }
            end((short) 1002);
        }

        void fail(Throwable t) {
            if (state != OPEN && !opened.isDone()) {
                connectFailures.incrementAndGet();
                if (connectFailures.get() <= 3) {
                    FanoutLoad.log("viewer could not connect: %s", t);
                }
            }
            end((short) 1006);
        }

        /** The connection is over: records how, closes the socket. */
        void end(short code) {
            if (state == CLOSED) {
                return;
            }
            boolean wasOpen = state == OPEN;
            state = CLOSED;
            if (wasOpen) {
                publish();
                viewer.closeCode = code;
                viewer.closed = true;
            }
            if (key != null) {
                key.cancel();
            }
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                // closed all the same
            }
            opened.complete(false);
            ended.complete(null);
        }
    }

    /** Null if {@code head} is a valid 101 answer to a key whose accept value is {@code accept}, else why not. */
    static String checkHead(String head, String accept) {
        String[] lines = head.split("\r\n");
        if (!lines[0].startsWith("HTTP/1.1 101")) {
            return "not upgraded: " + lines[0];
        }
        boolean upgrade = false;
        boolean connection = false;
        boolean accepted = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "upgrade" -> upgrade = value.equalsIgnoreCase("websocket");
                case "connection" -> connection = Arrays.stream(value.split(","))
                        .anyMatch(token -> token.trim().equalsIgnoreCase("upgrade"));
                case "sec-websocket-accept" -> accepted = value.equals(accept);
                case "sec-websocket-extensions" -> {
                    return "an extension was answered that was not offered: " + value;
                }
                default -> {
                }
            }
        }
        if (!upgrade || !connection || !accepted) {
            return "bad upgrade answer (Upgrade " + upgrade + ", Connection " + connection + ", Accept " + accepted
                    + "): " + head.strip();
        }
        return null;
    }
}
