// Typed events, end to end: one set of interfaces makes the compiler check every emit and handler on
// both sides. Checked by `tsc -p tsconfig.typed-events.json` (see test/typed-events.test.ts).
import type { Server as HttpServer } from "node:http";
import { io as connect, type Socket as ClientSocket } from "@volley/client";
import { Server } from "volley";

/** Events the browser or Node client sends. */
export interface ClientToServer {
  chat: (text: string, ack: (result: { ok: boolean; at: number }) => void) => void;
  typing: (typing: boolean) => void;
}

/** Events the server sends. */
export interface ServerToClient {
  chat: (message: { from: string; text: string; at: number }) => void;
  presence: (names: string[]) => void;
}

/** Events between servers (through the adapter, e.g. Redis). */
export interface InterServer {
  announce: (text: string) => void;
}

/** What each server-side socket keeps in `socket.data`. */
export interface SocketData {
  name: string;
}

export function typedServer(
  httpServer: HttpServer,
): Server<ClientToServer, ServerToClient, InterServer, SocketData> {
  const io = new Server<ClientToServer, ServerToClient, InterServer, SocketData>(httpServer);
  io.on("connection", (socket) => {
    socket.data.name = String(socket.handshake.auth.name ?? "guest");
    socket.on("chat", (text, ack) => {
      const at = Date.now();
      socket.broadcast.emit("chat", { from: socket.data.name, text, at });
      ack({ ok: true, at });
    });
    socket.on("typing", (typing) => {
      if (typing) socket.broadcast.volatile.emit("presence", [socket.data.name]);
    });
  });
  return io;
}

/** Reaches every server of the cluster; with the in-memory adapter there are no others. */
export function announce(
  io: Server<ClientToServer, ServerToClient, InterServer, SocketData>,
  text: string,
): void {
  io.serverSideEmit("announce", text);
}

export async function typedClient(url: string): Promise<ClientSocket<ServerToClient, ClientToServer>> {
  const socket: ClientSocket<ServerToClient, ClientToServer> = connect(url, { auth: { name: "ada" } });
  socket.on("chat", (message) => console.log(`${message.from}: ${message.text.toUpperCase()}`));
  const result = await socket.emitWithAck("chat", "hello");
  console.log(result.ok, new Date(result.at));

  // @ts-expect-error chat takes a string, not a number: the compiler refuses the wrong payload.
  socket.emit("chat", 42, () => undefined);

  return socket;
}
