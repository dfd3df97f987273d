// A hand-driven Engine.IO/Socket.IO client over `ws`, for what socket.io-client will not do on
// purpose: stay silent on pings, send garbage, stop reading.
import type { Socket } from "volley";
import WebSocket from "ws";

export class RawClient {
  readonly ws: WebSocket;
  readonly received: string[] = [];
  private waiters: Array<{ match: (m: string) => boolean; resolve: (m: string) => void }> = [];
  autoPong = true;

  constructor(port: number, path = "/socket.io/") {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${path}?EIO=4&transport=websocket`);
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === "2" && this.autoPong) this.ws.send("3");
      // A message goes to the first waiter it matches, else into `received`.
      const i = this.waiters.findIndex((w) => w.match(text));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(text);
      else this.received.push(text);
    });
    this.ws.on("error", () => {});
  }

  /** Next message (already received or future) matching `match`. */
  wait(match: (m: string) => boolean): Promise<string> {
    const found = this.received.find(match);
    if (found !== undefined) {
      this.received.splice(this.received.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Opens the session and joins the main namespace; resolves with the socket id. */
  async connect(nsp = "/"): Promise<string> {
    await this.wait((m) => m.startsWith("0{"));
    this.ws.send(nsp === "/" ? "40" : `40${nsp},`);
    const reply = await this.wait((m) => m.startsWith("40"));
    return JSON.parse(reply.slice(reply.indexOf("{"))).sid;
  }

  /** Stops reading from the TCP socket: the kernel buffers fill up, then the server's queue. */
  stopReading(): void {
    this.tcp().pause();
  }

  /** Reads again after `stopReading`. */
  resumeReading(): void {
    this.tcp().resume();
  }

  /** The TCP socket under `ws` (its `_socket`: ws has no public way to stop reading). */
  private tcp(): { pause(): void; resume(): void } {
    return (this.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }

  closed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.once("close", () => resolve()));
  }

  close(): Promise<void> {
    this.ws.terminate();
    return this.closed();
  }
}

/**
 * Emits events of `chunkBytes` on `socket` until the server disconnects it: bounded, at most 400, one a turn
 * of the event loop (so the server sees its buffers grow).
 */
export async function floodUntilDisconnected(socket: Socket, chunkBytes: number): Promise<void> {
  const chunk = "x".repeat(chunkBytes);
  for (let i = 0; i < 400 && socket.connected; i++) {
    socket.emit("data", chunk);
    await new Promise((r) => setImmediate(r));
  }
}
