package org.neuralpipeline.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Publishes numbered messages at a fixed rate through ingest, each stamped with {@link System#nanoTime()} when
 * it is written, so that viewers in this same process measure publish-to-receive latency on one monotonic
 * clock. The schedule is open-loop: message {@code n} is due at {@code start + n / rate}; a publisher that
 * wakes late sends what is due at once, and how late it was is recorded ({@link #lagMicros}).
 *
 * <p>Over the Unix domain socket each message is one NDJSON line on one kept connection (the server answers
 * each with one line, read by a second thread). Over HTTP, {@code batch} lines go in one
 * {@code POST /v1/neural/events} on a kept-alive HTTP/1.1 connection.
 */
final class FanoutPublisher implements AutoCloseable {
    /** The message type viewers recognise. */
    static final String TYPE = "BenchTick";

    enum Transport { SOCKET, HTTP }

    private final Transport transport;
    private final Path socketPath;
    private final int port;
    private final double rate;
    private final int batch;
    private final byte[] padding;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong replies = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final Histogram lag = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    private volatile boolean running = true;
    private volatile Throwable failure;
    private Thread writer;
    private Thread reader;
    private SocketChannel channel;
    private HttpClient http;

    /**
     * @param size approximate size in bytes of each message as viewers receive it (the hub adds {@code seq})
     */
    FanoutPublisher(Transport transport, Path socketPath, int port, double rate, int batch, int size) {
        this.transport = transport;
        this.socketPath = socketPath;
        this.port = port;
        this.rate = rate;
        this.batch = Math.max(1, batch);
        // {"seq":123456,"n":123456,"t":123456789012345,"message_type":"BenchTick","request_id":"bench",
        //  "model":"bench","text":"…"} : about 110 bytes around the text
        this.padding = new byte[Math.max(0, size - 110)];
        Arrays.fill(padding, (byte) 'x');
    }

    FanoutPublisher start() throws IOException {
        if (transport == Transport.SOCKET) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            reader = Thread.ofPlatform().name("fanout-replies").daemon().start(this::readReplies);
        } else {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
        }
        writer = Thread.ofPlatform().name("fanout-publisher").daemon().start(this::publish);
        return this;
    }

    /** Messages written so far; the next one to be written has this number. */
    long sent() {
        return sent.get();
    }

    /** Messages the server accepted (socket: {@code ok:true} replies; HTTP: {@code accepted}). */
    long accepted() {
        return replies.get() - rejected.get();
    }

    long rejected() {
        return rejected.get();
    }

    Throwable failure() {
        return failure;
    }

    double rate() {
        return rate;
    }

    /** How late messages were written against their schedule, in µs; read after {@link #close}. */
    Histogram lagMicros() {
        return lag;
    }

    /** Waits until {@code count} messages have been written (or the publisher failed). */
    void awaitSent(long count) throws IOException, InterruptedException {
        while (sent.get() < count) {
            if (failure != null) {
                throw new IOException("the publisher failed: " + failure, failure);
            }
            Thread.sleep(5);
        }
    }

    private void publish() {
        long period = (long) (1e9 / rate);
        long start = System.nanoTime();
        ByteBuffer out = ByteBuffer.allocate(batch * (padding.length + 200));
        try {
            long n = 0;
            while (running) {
                long due = start + n * period;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                out.clear();
                long stamp = System.nanoTime();
                lag.recordValue(Math.min(lag.getHighestTrackableValue(), (stamp - due) / 1000));
                for (int i = 0; i < batch; i++) {
                    line(out, n + i, stamp);
                }
                out.flip();
                if (transport == Transport.SOCKET) {
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                } else {
                    post(out);
                }
                n += batch;
                sent.set(n);
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                failure = e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void line(ByteBuffer out, long n, long stamp) {
        out.put(("{\"n\":" + n + ",\"t\":" + stamp + ",\"message_type\":\"" + TYPE
                + "\",\"request_id\":\"bench\",\"model\":\"bench\",\"text\":\"").getBytes(US_ASCII));
        out.put(padding);
        out.put((byte) '"').put((byte) '}').put((byte) '\n');
    }

    private void post(ByteBuffer body) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/neural/events"))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.array(), 0, body.limit()))
                .build(), HttpResponse.BodyHandlers.ofString());
        String text = response.body();
        int at = text.indexOf("\"accepted\":");
        long accepted = 0;
        if (response.statusCode() == 202 && at >= 0) {
            int i = at + "\"accepted\":".length();
            while (i < text.length() && Character.isDigit(text.charAt(i))) {
                accepted = accepted * 10 + text.charAt(i++) - '0';
            }
        }
        replies.addAndGet(batch);
        rejected.addAndGet(batch - accepted);
    }

    /** Counts the socket's reply lines: {@code {"ok":true,"id":N}} or {@code {"ok":false,…}}. */
    private void readReplies() {
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        try {
            while (channel.read(in) >= 0) {
                in.flip();
                for (int i = 0; i < in.limit(); i++) {
                    byte b = in.get(i);
                    if (b == '\n') {
                        replies.incrementAndGet();
                    } else if (b == 'f' && i > 0 && in.get(i - 1) == ':') {
                        rejected.incrementAndGet(); // "ok":false; no other value of a reply starts with f
                    }
                }
                in.clear();
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** Stops publishing and closes the connection. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        if (writer != null) {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        // the last replies are on their way: wait a little for them, so that accepted + rejected = sent
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel != null && channel.isOpen() && replies.get() < sent.get() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        if (reader != null) {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (http != null) {
            http.close();
        }
    }
}
