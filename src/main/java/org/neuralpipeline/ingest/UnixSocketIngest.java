package org.neuralpipeline.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.neuralpipeline.broadcast.Publisher;
import org.neuralpipeline.config.BroadcastConfig;
import org.neuralpipeline.observability.Metrics.BroadcastMeters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original compositor socket: a Unix domain socket speaking the NDJSON line protocol of {@link IngestLines},
 * one reply line per line received: {@code {"ok":true,"id":SEQ}} or {@code {"ok":false,"line":K,"error":"…"}}
 * (blank lines get none). With an ingest token, the first line must be {@code {"token":"…"}} (answered
 * {@code {"ok":true,"authenticated":true}}); otherwise the connection is answered with an error and closed.
 *
 * <p>The file: created owner-only (0600) without a moment of wider access (the server binds in a fresh 0700
 * directory, the file is restricted, then renamed into place); a stale socket file (nobody listening) is
 * replaced at start, a live one or a file of another kind is an error; the file is removed at {@link #close}.
 * Vert.x 5 serves Unix domain sockets on the JDK's NIO transport, so no native library is needed.
 *
 * <p>A client that does not read its replies is paused until they drain, so replies never pile up.
 */
public final class UnixSocketIngest {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketIngest.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final NetServer server;
    private final Path path;

    private UnixSocketIngest(NetServer server, Path path) {
        this.server = server;
        this.path = path;
    }

    /**
     * Listens on {@code path}, its connections on {@code loop}'s event loop (the service's one loop, where the
     * hub publishes without a thread hop). Blocks (it works on files): call at start-up, never on an event loop.
     *
     * @throws IllegalStateException naming the path and what is wrong with it
     */
    public static UnixSocketIngest open(Vertx vertx, Context loop, Path path, Publisher publisher,
            BroadcastConfig config, BroadcastMeters meters) {
        Path target = path.toAbsolutePath();
        try {
            if (!Files.isDirectory(target.getParent())) {
                throw new IllegalStateException(target + ": its directory does not exist");
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                if (!isSocket(target)) {
                    throw new IllegalStateException(target + " exists and is not a socket; remove it or choose "
                            + "another broadcast.ingest_socket");
                }
                if (answers(target)) {
                    throw new IllegalStateException(target + " is in use: another process listens on it");
                }
                Files.delete(target); // stale: left by a process that died
                LOG.info("replaced the stale socket file {}", target);
            }
            Path dir = Files.createTempDirectory(target.getParent(), ".neural-pipeline-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path bound = dir.resolve("ingest.sock");
            IngestToken token = new IngestToken(config.ingestToken());
            NetServer server = vertx.createNetServer()
                    .connectHandler(socket -> new Connection(socket, publisher, token, meters).start());
            try {
                Promise<NetServer> listening = Promise.promise();
                loop.runOnContext(v -> server.listen(SocketAddress.domainSocketAddress(bound.toString()))
                        .onComplete(listening));
                listening.future().await(10, TimeUnit.SECONDS);
                Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
                Files.move(bound, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (Exception e) {
                server.close();
                throw e;
            } finally {
                Files.deleteIfExists(bound);
                Files.deleteIfExists(dir);
            }
            LOG.info("ingest socket listening on {}", target);
            return new UnixSocketIngest(server, target);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(target + ": cannot listen (" + e + ")", e);
        }
    }

    public Path path() {
        return path;
    }

    /** Stops listening and removes the file. */
    public Future<Void> close() {
        return server.close().eventually(() -> {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", path, e.toString());
            }
            return Future.succeededFuture();
        });
    }

    private static boolean isSocket(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK;
    }

    private static boolean answers(Path p) {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            return channel.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** One client: lines in, replies out, on the connection's event loop. */
    private static final class Connection implements LineSplitter.Listener {
        private final NetSocket socket;
        private final Publisher publisher;
        private final IngestToken token;
        private final BroadcastMeters meters;
        private final LineSplitter splitter = new LineSplitter(IngestLines.MAX_LINE_BYTES, this);
        private boolean authenticated;
        private boolean closing;
        /** Replies to the lines of one read, written together: one system call per read, not per line. */
        private Buffer replies;

        Connection(NetSocket socket, Publisher publisher, IngestToken token, BroadcastMeters meters) {
            this.socket = socket;
            this.publisher = publisher;
            this.token = token;
            this.meters = meters;
            this.authenticated = !token.required();
        }

        void start() {
            socket.handler(buffer -> {
                if (!closing) {
                    byte[] bytes = buffer.getBytes();
                    splitter.feed(bytes, 0, bytes.length);
                    writeReplies();
                }
            });
            socket.endHandler(v -> {
                if (!closing) {
                    splitter.end();
                    writeReplies();
                }
            });
            socket.exceptionHandler(t -> LOG.debug("ingest socket client: {}", t.toString()));
        }

        @Override
        public void line(int number, byte[] bytes, int length) {
            if (closing) {
                return;
            }
            if (!authenticated) {
                authenticate(number, bytes, length);
                return;
            }
            switch (IngestLines.parse(bytes, length)) {
                case IngestLines.Accepted a -> {
                    long id = publisher.publish(a.message());
                    if (id >= 0) {
                        meters.ingestLines("socket", 1, 0);
                        reply(ok("id", id));
                    } else {
                        rejected(number, "the broadcast hub is overloaded; send it again later");
                    }
                }
                case IngestLines.Rejected r -> rejected(number, r.error());
                case IngestLines.Blank b -> {
                }
            }
        }

        @Override
        public void tooLong(int number) {
            if (!closing) {
                rejected(number, IngestLines.tooLong());
            }
        }

        private void authenticate(int number, byte[] bytes, int length) {
            String presented = null;
            try {
                JsonNode node = IngestLines.MAPPER.readTree(bytes, 0, length);
                JsonNode t = node == null ? null : node.get("token");
                presented = t != null && t.isTextual() ? t.asText() : null;
            } catch (IOException e) {
                // not JSON: not a token either
            }
            if (token.matches(presented)) {
                authenticated = true;
                reply(ok("authenticated", true));
            } else {
                meters.ingestLines("socket", 0, 1);
                closing = true;
                writeReplies();
                socket.write(error(number,
                        "unauthorized: the first line must be {\"token\":\"<broadcast.ingest_token>\"}"))
                        .onComplete(v -> socket.close());
            }
        }

        private void rejected(int number, String error) {
            meters.ingestLines("socket", 0, 1);
            reply(error(number, error));
        }

        private void reply(Buffer line) {
            if (replies == null) {
                replies = line;
            } else {
                replies.appendBuffer(line);
            }
        }

        private void writeReplies() {
            if (replies == null) {
                return;
            }
            socket.write(replies);
            replies = null;
            if (socket.writeQueueFull()) {
                socket.pause();
                socket.drainHandler(v -> socket.resume());
            }
        }

        private static Buffer ok(String field, Object value) {
            return json(g -> {
                g.writeBooleanField("ok", true);
                if (value instanceof Long id) {
                    g.writeNumberField(field, id);
                } else {
                    g.writeBooleanField(field, (Boolean) value);
                }
            });
        }

        private static Buffer error(int number, String error) {
            return json(g -> {
                g.writeBooleanField("ok", false);
                g.writeNumberField("line", number);
                g.writeStringField("error", error);
            });
        }

        private interface Fields {
            void write(JsonGenerator g) throws IOException;
        }

        private static Buffer json(Fields fields) {
            StringWriter out = new StringWriter();
            try (JsonGenerator g = IngestLines.MAPPER.getFactory().createGenerator(out)) {
                g.writeStartObject();
                fields.write(g);
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Buffer.buffer(out.append('\n').toString());
        }
    }
}
