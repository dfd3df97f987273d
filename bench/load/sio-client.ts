// A minimal Socket.IO-protocol client over the `ws` client: Engine.IO 4 on the websocket transport only
// (open, ping/pong, message) and Socket.IO 5 CONNECT / EVENT / ACK on the main namespace. It is the same
// client for every server, and far lighter than socket.io-client, so the generator saturates later.
import WebSocket from "ws";
import { type ClientOptions, type LoadClient, noop } from "./client.js";

// Engine.IO 4 packet types (first character of a websocket text frame).
const EIO_OPEN = "0";
const EIO_PING = "2";
const EIO_PONG = "3";
const EIO_MESSAGE = "4";
// Socket.IO 5 packet types (second character after the Engine.IO "4").
const SIO_CONNECT = "0";
const SIO_DISCONNECT = "1";
const SIO_EVENT = "2";
const SIO_ACK = "3";
const SIO_CONNECT_ERROR = "4";

/** `42["tick","` — the prefix of every broadcast the bench app sends; the sequence number follows. */
const TICK_PREFIX = '42["tick","';
/** The prefix of a broadcast of a JSON trigger (`json` option): `{"seq":<n>,"items":[…]}`. */
const JSON_TICK_PREFIX = '42["tick",{"seq":';

const WORDS =
  "the a of to and in is it you that was for on are with as his they be at one have this from or had by hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find".split(
    " ",
  );

/**
 * A JSON array of chat-like records, about `size` characters, different for every `seq` (a pseudo-random
 * stream seeded by it): what an app's 4 KB broadcast looks like, so deflate cannot just point back at the
 * previous message.
 */
function jsonItems(size: number, seq: number): string {
  let state = (seq * 2654435761) >>> 0 || 1;
  const next = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const items: string[] = [];
  let length = 2;
  while (length < size - 20) {
    const words = Array.from({ length: 4 + next(8) }, () => WORDS[next(WORDS.length)]);
    const item = JSON.stringify({
      id: next(1_000_000_000),
      user: `user-${next(10_000)}`,
      text: words.join(" "),
      ts: 1_764_900_000_000 + next(86_400_000),
      read: next(2) === 0,
    });
    items.push(item);
    length += item.length + 1;
  }
  return `[${items.join(",")}]`;
}

export class SioLoadClient implements LoadClient {
  onReply: () => void = noop;
  onTick: (seq: number) => void = noop;
  onError: (reason: string) => void = noop;
  private nextAckId = 0;
  private expectedAckId = -1;
  private readonly echoBody: string;
  private readonly echoReplyLength: number;
  private readonly pad: string;
  private readonly pendingAcks = new Map<number, () => void>();
  private readonly json: boolean;
  /** The TCP socket under the WebSocket, for the bytes received on the wire. */
  private socket: { bytesRead: number } | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly size: number,
    json = false,
  ) {
    this.json = json;
    // A JSON object (`json`) or a plain string of `size` characters, acked back as it came.
    const payload = json ? `{"seq":0,"items":${jsonItems(size, 0)}}` : `"${"x".repeat(size)}"`;
    this.echoBody = `["echo",${payload}]`;
    // `43<id>[<payload>]` without the id digits: the server re-encodes the same JSON to the same text.
    this.echoReplyLength = 2 + 2 + payload.length;
    this.pad = "y".repeat(Math.max(0, size - 8));
  }

  /** Opens the Engine.IO session and connects to namespace "/"; resolves once CONNECT is acknowledged. */
  static connect(options: ClientOptions): Promise<SioLoadClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${options.port}/socket.io/?EIO=4&transport=websocket`, {
        perMessageDeflate: options.deflate === true,
      });
      const client = new SioLoadClient(ws, options.size, options.json);
      ws.once("upgrade", (res) => {
        client.socket = res.socket;
      });
      let connected = false;
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) return client.onError("binary frame");
        const text = data.toString();
        if (connected) return client.onPacket(text);
        // Handshake: EIO open → send SIO CONNECT → SIO CONNECT ack.
        if (text[0] === EIO_OPEN) ws.send(`${EIO_MESSAGE}${SIO_CONNECT}`);
        else if (text[0] === EIO_PING) ws.send(EIO_PONG);
        else if (text.startsWith(`${EIO_MESSAGE}${SIO_CONNECT}`)) {
          connected = true;
          resolve(client);
        } else reject(new Error(`unexpected handshake packet ${text.slice(0, 80)}`));
      });
      ws.on("error", (err) => (connected ? client.onError(err.message) : reject(err)));
      ws.on("close", (code) => {
        if (!connected) reject(new Error(`closed during handshake (${code})`));
        else if (code !== 1000 && code !== 1005) client.onError(`closed by server with ${code}`);
      });
    });
  }

  private onPacket(text: string): void {
    const eio = text[0];
    if (eio === EIO_PING) this.ws.send(EIO_PONG);
    else if (eio !== EIO_MESSAGE) this.onError(`unexpected engine.io packet ${text.slice(0, 40)}`);
    else if (text[1] === SIO_EVENT) this.onEvent(text);
    else if (text[1] === SIO_ACK) this.onAck(text);
    else if (text[1] === SIO_DISCONNECT || text[1] === SIO_CONNECT_ERROR) this.onError(`server sent ${text}`);
    else this.onError(`unexpected socket.io packet ${text.slice(0, 40)}`);
  }

  private onEvent(text: string): void {
    if (text.startsWith(JSON_TICK_PREFIX)) {
      const end = text.indexOf(",", JSON_TICK_PREFIX.length);
      this.onTick(Number(text.slice(JSON_TICK_PREFIX.length, end)));
      return;
    }
    if (!text.startsWith(TICK_PREFIX)) {
      this.onError(`unexpected event ${text.slice(0, 40)}`);
      return;
    }
    const end = text.indexOf("|", TICK_PREFIX.length);
    this.onTick(Number(text.slice(TICK_PREFIX.length, end)));
  }

  private onAck(text: string): void {
    const bracket = text.indexOf("[", 2);
    const id = Number(text.slice(2, bracket));
    const waiter = this.pendingAcks.get(id);
    if (waiter) {
      this.pendingAcks.delete(id);
      waiter();
    } else if (id !== this.expectedAckId) this.onError(`ack ${id}, expected ${this.expectedAckId}`);
    // `43<id>["<payload>"]` less the id digits must be exactly the echo's length.
    else if (text.length - (bracket - 2) !== this.echoReplyLength) this.onError("echo of wrong size");
    else {
      this.expectedAckId = -1;
      this.onReply();
    }
  }

  sendEcho(): void {
    const id = this.nextAckId++;
    this.expectedAckId = id;
    this.ws.send(`${EIO_MESSAGE}${SIO_EVENT}${id}${this.echoBody}`);
  }

  /** Bytes received on this client's TCP connection so far (frames as on the wire, deflated or not). */
  get bytesRead(): number {
    return this.socket?.bytesRead ?? 0;
  }

  sendTrigger(seq: number, room?: string): void {
    // A fresh JSON body per trigger (one per broadcast, cheap beside the deliveries).
    const m = this.json ? `{"seq":${seq},"items":${jsonItems(this.size, seq)}}` : `"${seq}|${this.pad}"`;
    this.ws.send(room === undefined ? `42["emit",${m}]` : `42["room","${room}",${m}]`);
  }

  /** Joins `room` through the app's `join` event and waits for its ack. */
  join(room: string): Promise<void> {
    const id = this.nextAckId++;
    return new Promise((resolve) => {
      this.pendingAcks.set(id, resolve);
      this.ws.send(`${EIO_MESSAGE}${SIO_EVENT}${id}["join","${room}"]`);
    });
  }

  close(): void {
    this.ws.removeAllListeners("close");
    this.ws.on("error", noop);
    this.ws.terminate();
  }
}
