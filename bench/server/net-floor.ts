// The least a WebSocket server can hold per idle connection: a node:net server that answers the
// RFC 6455 opening handshake by hand (101 with Sec-WebSocket-Accept) and then keeps the socket, nothing
// else: no frame parser, no per-connection object of its own. Used by bench/bare-memory.ts; answers the
// same IPC requests as server/main.ts (`start`, `memory`, `waitConnections`).
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { serveIpc } from "../lib/ipc.js";
import { fullGc } from "./full-gc.js";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const sockets = new Set<Socket>();

const server = createServer((socket) => {
  let head = "";
  const onData = (chunk: Buffer) => {
    head += chunk.toString("latin1");
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (head.length > 8192) socket.destroy();
      return;
    }
    socket.off("data", onData);
    const key = /\r\nsec-websocket-key:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    if (!key) {
      socket.destroy();
      return;
    }
    const accept = createHash("sha1")
      .update(key + GUID)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    head = "";
    sockets.add(socket);
  };
  socket.on("data", onData);
  socket.on("error", () => socket.destroy());
  socket.on("close", () => sockets.delete(socket));
});

serveIpc({
  start: async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as { port: number }).port };
  },
  memory: async () => {
    await fullGc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: sockets.size };
  },
  waitConnections: async ({ n, timeoutMs }: { n: number; timeoutMs: number }) => {
    const deadline = performance.now() + timeoutMs;
    while (sockets.size < n) {
      if (performance.now() > deadline) throw new Error(`only ${sockets.size} of ${n} connections`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { connections: sockets.size };
  },
});
