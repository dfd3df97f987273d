// The WebSocket load client: the `ws` client (with bufferutil), identical for every server under test.
import WebSocket from "ws";
import { type ClientOptions, type LoadClient, noop } from "./client.js";

export class WsLoadClient implements LoadClient {
  onReply: () => void = noop;
  onTick: (seq: number) => void = noop;
  onError: (reason: string) => void = noop;
  private readonly payload: Buffer;
  private readonly triggerSize: number;
  private mode: "echo" | "tick" = "echo";

  private constructor(
    private readonly ws: WebSocket,
    size: number,
  ) {
    this.payload = Buffer.alloc(size, 0x61);
    this.triggerSize = Math.max(4, size);
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return this.onError("text frame where binary was sent");
      if (this.mode === "tick") return this.onTick(data.readUInt32LE(0));
      if (data.length !== this.payload.length) return this.onError(`echo of ${data.length} bytes`);
      this.onReply();
    });
    ws.on("error", (err) => this.onError(err.message));
    ws.on("close", (code) => {
      if (code !== 1000 && code !== 1005) this.onError(`closed by server with ${code}`);
    });
  }

  static connect(options: ClientOptions): Promise<WsLoadClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${options.port}/`, { perMessageDeflate: false });
      ws.once("open", () => resolve(new WsLoadClient(ws, options.size)));
      ws.once("error", reject);
    });
  }

  /** Incoming binary messages are read as broadcast sequence numbers from now on. */
  expectTicks(): void {
    this.mode = "tick";
  }

  sendEcho(): void {
    this.ws.send(this.payload, { binary: true });
  }

  sendTrigger(seq: number): void {
    // A fresh buffer per trigger (rare next to deliveries), so no send can see a later sequence number.
    const trigger = Buffer.alloc(this.triggerSize, 0x62);
    trigger.writeUInt32LE(seq, 0);
    this.ws.send(trigger, { binary: true });
  }

  close(): void {
    this.ws.removeAllListeners("close");
    this.ws.on("error", noop);
    this.ws.terminate();
  }
}
