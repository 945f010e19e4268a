package org.neuralpipeline.broadcast;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A viewer on {@code GET /ws}: each message is one JSON text frame.
 *
 * <p>Why Netty underneath: Vert.x's {@code writeFrame} flushes every frame on its own, one system call per frame
 * (the cost that limited the Node.js servers measured in the fan-out notes). Through the connection's
 * {@link ChannelHandlerContext} (Vert.x's {@link WebSocketInternal}, meant for integrations like this one) a
 * batch becomes N frames and one flush, so one {@code writev}. The hub frames each message once
 * ({@link Frame#webSocketFrame}: header and payload in native memory) and every viewer's socket is given the same
 * bytes: no per-viewer encoding or copy. Everything runs on the connection's own event loop, as Vert.x's own
 * writes do, so the order with pings and the close frame is kept; when that loop is the hub's (the service runs
 * both on one), the write happens at once instead of as a task.
 *
 * <p>Only Vert.x's own WebSocket exposes the channel; a wrapper (vertx-web's {@code toWebSocket()} returns one)
 * does not. Such a WebSocket still works, through the public API with one flush per frame, but costs several
 * times the CPU per message, so it is logged once and counted ({@code broadcast_viewers_unbatched_total}).
 */
final class WebSocketSubscriber implements Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSubscriber.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final ServerWebSocket ws;
    private final Context context;
    private final ChannelHandlerContext channel;
    /** Write the hub's pre-framed bytes; false when an extension (compression) must see every frame. */
    private final boolean rawFrames;

    private WebSocketSubscriber(ServerWebSocket ws, Context context, ChannelHandlerContext channel) {
        this.ws = ws;
        this.context = context;
        this.channel = channel;
        this.rawFrames = channel != null && channel.pipeline().get(WebSocketExtensionEncoder.class) == null;
    }

    /** A subscriber for {@code ws}, whose handlers run on {@code context}. */
    static WebSocketSubscriber of(ServerWebSocket ws, Context context, BroadcastHub hub) {
        if (ws instanceof WebSocketInternal internal) {
            return new WebSocketSubscriber(ws, context, internal.channelHandlerContext());
        }
        hub.meters().viewerUnbatched();
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("a WebSocket viewer is written one frame per system call: its WebSocket ({}) does not expose "
                    + "its channel; serve /ws from the HTTP server's own request, not through a wrapper",
                    ws.getClass().getName());
        }
        return new WebSocketSubscriber(ws, context, null);
    }

    /** Whether batches go out with one flush (tests). */
    boolean batched() {
        return channel != null;
    }

    @Override
    public String transport() {
        return "websocket";
    }

    @Override
    public boolean answersPings() {
        return true;
    }

    @Override
    public Future<Void> write(List<Frame> batch) {
        Promise<Void> written = Promise.promise();
        Loops.run(context, () -> {
            if (ws.isClosed()) {
                written.fail("the WebSocket is closed");
            } else if (channel != null) {
                ChannelPromise last = channel.newPromise();
                for (int i = 0; i < batch.size(); i++) {
                    Frame f = batch.get(i);
                    // framed bytes pass the WebSocket encoder untouched (it encodes WebSocketFrame objects only)
                    Object frame = rawFrames ? f.webSocketFrame()
                            : new TextWebSocketFrame(true, 0, Unpooled.wrappedBuffer(f.json()));
                    channel.write(frame, i == batch.size() - 1 ? last : channel.voidPromise());
                }
                last.addListener(f -> {
                    if (f.isSuccess()) {
                        written.complete();
                    } else {
                        written.fail(f.cause());
                    }
                });
                channel.flush();
            } else {
                Future<Void> lastWrite = null;
                for (Frame f : batch) {
                    lastWrite = ws.writeFinalTextFrame(new String(f.json(), UTF_8));
                }
                lastWrite.onComplete(written);
            }
        });
        return written.future();
    }

    @Override
    public Future<Void> ping() {
        Promise<Void> pinged = Promise.promise();
        Loops.run(context, () -> {
            if (ws.isClosed()) {
                pinged.fail("the WebSocket is closed");
            } else {
                ws.writePing(Buffer.buffer()).onComplete(pinged);
            }
        });
        return pinged.future();
    }

    @Override
    public void close(int code, String reason) {
        Loops.run(context, () -> {
            if (!ws.isClosed()) {
                ws.close((short) code, reason);
            }
        });
    }
}
