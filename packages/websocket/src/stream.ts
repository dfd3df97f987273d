// `createWebSocketStream`: a connection as a Node Duplex stream (as `ws` offers it), for `pipeline`.
import { Duplex, type DuplexOptions } from "node:stream";
import { WebSocket } from "./websocket.js";

/**
 * Wraps `ws` in a Duplex: written chunks are sent as messages, received messages are pushed as
 * chunks (text as strings in object mode, Buffers otherwise). Back-pressure pauses the connection;
 * ending the writable side closes it (1000 handshake); `destroy()` terminates it; the connection's
 * `close` ends the readable side and its `error` destroys the stream. `options` go to the Duplex.
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex: Duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState === WebSocket.CONNECTING) {
        ws.once("open", () => duplex._write(chunk, _encoding, callback));
        return;
      }
      ws.send(chunk, callback);
    },
    final(callback) {
      if (ws.readyState === WebSocket.CONNECTING) {
        ws.once("open", () => duplex._final(callback));
        return;
      }
      if (ws.readyState === WebSocket.CLOSED) {
        callback();
        return;
      }
      ws.once("close", () => callback());
      ws.close();
    },
    destroy(error, callback) {
      if (ws.readyState === WebSocket.CLOSED) {
        callback(error);
        return;
      }
      let called = false;
      ws.once("error", (err: Error) => {
        called = true;
        callback(err);
      });
      ws.once("close", () => {
        if (!called) callback(error);
      });
      if (terminateOnDestroy) ws.terminate();
    },
  });
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const chunk =
      !isBinary && duplex.readableObjectMode
        ? String(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer))
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data);
    if (!duplex.push(chunk)) ws.pause();
  });
  ws.once("error", (error: Error) => {
    if (duplex.destroyed) return;
    // The connection is already failing: destroying the stream must not terminate it again.
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  ws.once("close", () => {
    if (!duplex.destroyed) duplex.push(null);
  });
  duplex.on("end", () => {
    if (!duplex.writable) duplex.destroy();
  });
  duplex.on("finish", () => {
    if (duplex.readableEnded) duplex.destroy();
  });
  return duplex;
}
