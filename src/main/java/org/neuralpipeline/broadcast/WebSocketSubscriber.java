package org.neuralpipeline.broadcast;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.util.List;

/**
 * A viewer on {@code GET /ws}: each message is one JSON text frame.
 *
 * <p>Why Netty underneath: Vert.x's {@code writeFrame} flushes every frame on its own, one system call per frame
 * (the cost that limited the Node.js servers measured in the fan-out notes). Through the connection's
 * {@link ChannelHandlerContext} (Vert.x's {@link WebSocketInternal}, meant for integrations like this one) a
 * batch becomes N frames and one flush, so one {@code writev}. The frames wrap the hub's shared JSON bytes
 * without copying them. Everything runs on the connection's own event loop, as Vert.x's own writes do, so the
 * order with pings and the close frame is kept. Should a future Vert.x not expose the context, the public API
 * is used instead (one flush per frame).
 */
final class WebSocketSubscriber implements Subscriber {
    private final ServerWebSocket ws;
    private final Context context;
    private final ChannelHandlerContext channel;

    WebSocketSubscriber(ServerWebSocket ws, Context context) {
        this.ws = ws;
        this.context = context;
        this.channel = ws instanceof WebSocketInternal internal ? internal.channelHandlerContext() : null;
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
        context.runOnContext(v -> {
            if (ws.isClosed()) {
                written.fail("the WebSocket is closed");
            } else if (channel != null) {
                ChannelPromise last = channel.newPromise();
                for (int i = 0; i < batch.size(); i++) {
                    TextWebSocketFrame frame = new TextWebSocketFrame(true, 0,
                            Unpooled.wrappedBuffer(batch.get(i).json()));
                    channel.write(frame, i == batch.size() - 1 ? last : channel.voidPromise());
                }
                channel.flush();
                last.addListener(f -> {
                    if (f.isSuccess()) {
                        written.complete();
                    } else {
                        written.fail(f.cause());
                    }
                });
            } else {
                Future<Void> lastWrite = null;
                for (Frame f : batch) {
                    lastWrite = ws.writeFinalTextFrame(f.toString());
                }
                lastWrite.onComplete(written);
            }
        });
        return written.future();
    }

    @Override
    public Future<Void> ping() {
        Promise<Void> pinged = Promise.promise();
        context.runOnContext(v -> {
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
        context.runOnContext(v -> {
            if (!ws.isClosed()) {
                ws.close((short) code, reason);
            }
        });
    }
}
