// A bare RFC 6455 client over TCP that hands back every frame with its RSV1 bit, so tests can see
// whether the server deflated a message (RFC 7692 §6: RSV1 marks a compressed message). It offers
// permessage-deflate with no context takeover, so each compressed message inflates on its own.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { constants, inflateRawSync } from "node:zlib";

export interface RawFrame {
  /** RSV1: the message was deflated. */
  compressed: boolean;
  opcode: number;
  /** The message, inflated when it was compressed. */
  text: string;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 7692 §7.2.2: append the empty stored block the sender removed, then inflate. */
function inflate(payload: Buffer): Buffer {
  try {
    return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    return Buffer.from(`<inflate error: ${(err as Error).message}>`);
  }
}

export class RawFrameClient {
  readonly socket: Socket;
  /** The `Sec-WebSocket-Extensions` the server answered with ("" when none). */
  extensions = "";
  private buffer = Buffer.alloc(0);
  private upgraded = false;
  private readonly frames: RawFrame[] = [];
  private waiter: { resolve: (frame: RawFrame) => void; reject: (err: Error) => void } | undefined;
  private readonly opened: Promise<void>;

  constructor(port: number, path = "/socket.io/?EIO=4&transport=websocket") {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.reject(new Error("connection closed"));
    });
    let resolveOpen!: () => void;
    let rejectOpen!: (err: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      resolveOpen = resolve;
      rejectOpen = reject;
    });
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n` +
          "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n\r\n",
      );
    });
    this.socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (!this.upgraded) {
        const end = this.buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = this.buffer.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101")) {
          rejectOpen(new Error(`upgrade refused: ${head}`));
          this.socket.destroy();
          return;
        }
        this.extensions = /sec-websocket-extensions: *(.*)/i.exec(head)?.[1] ?? "";
        this.upgraded = true;
        this.buffer = this.buffer.subarray(end + 4);
        resolveOpen();
      }
      this.readFrames();
    });
  }

  private readFrames(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      const compressed = (b[0]! & 0x40) !== 0;
      const frame: RawFrame = {
        compressed,
        opcode: b[0]! & 0x0f,
        text: (compressed ? inflate(payload) : payload).toString("utf8"),
      };
      this.buffer = b.subarray(offset + length);
      if (frame.opcode === 0x1 && frame.text === "2") {
        this.send("3"); // Engine.IO pong, whenever the server pings
        continue;
      }
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter) waiter.resolve(frame);
      else this.frames.push(frame);
    }
  }

  /** The next data frame from the server. */
  next(): Promise<RawFrame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.socket.destroyed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Sends a masked text frame (RFC 6455 §5.3: client frames are masked). */
  send(text: string): void {
    const payload = Buffer.from(text);
    if (payload.length > 125) throw new Error("RawFrameClient sends short frames only");
    const mask = randomBytes(4);
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  }

  /** Opens the session and joins the main namespace; resolves with the socket id. */
  async connect(): Promise<string> {
    await this.opened;
    const open = await this.next();
    if (!open.text.startsWith("0{")) throw new Error(`expected an open packet, got ${open.text}`);
    this.send("40");
    const reply = await this.next();
    if (!reply.text.startsWith("40{")) throw new Error(`expected a CONNECT reply, got ${reply.text}`);
    return JSON.parse(reply.text.slice(2)).sid;
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.destroy();
    });
  }
}
