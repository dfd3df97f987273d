// Shared test helpers: servers on 127.0.0.1 port 0, and event waits (never timing).
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer as WsServer } from "ws";
import { acceptKey } from "../src/handshake.js";
import { WebSocketServer, type WebSocketServerOptions } from "../src/index.js";

/** Our server on an ephemeral loopback port. */
export async function startServer(
  options: Omit<WebSocketServerOptions, "port" | "server" | "noServer"> = {},
): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", ...options });
  await once(wss, "listening");
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}`, port };
}

/** The `ws` package's server on an ephemeral loopback port. */
export async function startWsServer(
  options: ConstructorParameters<typeof WsServer>[0] = {},
): Promise<{ wss: WsServer; url: string; port: number }> {
  const wss = new WsServer({ port: 0, host: "127.0.0.1", ...options });
  await once(wss, "listening");
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}`, port };
}

/** Closes a server after terminating its connections, and waits for it. */
export async function stopServer(wss: {
  clients: Set<{ terminate(): void }>;
  close(cb?: () => void): void;
}): Promise<void> {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** A client frame built by hand (masked unless `mask: false`), for sending what no library would. */
export function rawFrame(
  opcode: number,
  payload: Buffer | string,
  options: { fin?: boolean; rsv?: number; mask?: boolean; length?: number } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const { fin = true, rsv = 0, mask = true } = options;
  const length = options.length ?? data.length;
  const header: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) header.push(maskBit | length);
  else if (length <= 0xffff) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    header.push(maskBit | 127, ...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(header), data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(header), key, masked]);
}

/** Reads a whole HTTP head from a raw socket; resolves with it and any bytes after it. */
function readHead(socket: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      socket.off("error", reject);
      socket.pause();
      resolve({ head: buffered.subarray(0, end).toString(), rest: buffered.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.on("error", reject);
  });
}

/** Sends a raw HTTP request and resolves with the response head and body read until the socket closes. */
export async function rawRequest(
  port: number,
  request: string,
): Promise<{ status: number; head: string; body: string }> {
  const socket = connect(port, "127.0.0.1");
  socket.write(request);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk) => chunks.push(chunk));
  socket.on("error", () => {});
  await once(socket, "close");
  const text = Buffer.concat(chunks).toString();
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  return { status: Number(head.split(" ")[1]), head, body: end === -1 ? "" : text.slice(end + 4) };
}

/** A valid upgrade request for `path`, with extra header lines. */
export function upgradeRequest(path = "/", extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...extra,
    "",
    "",
  ].join("\r\n");
}

/** Opens a WebSocket over raw TCP; resolves once the 101 response was read. */
export async function rawConnect(
  port: number,
  extra: string[] = [],
): Promise<{ socket: Socket; head: string }> {
  const socket = connect(port, "127.0.0.1");
  socket.write(upgradeRequest("/", extra));
  const { head, rest } = await readHead(socket);
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`handshake failed: ${head}`);
  if (rest.length > 0) socket.unshift(rest);
  return { socket, head };
}

/** A frame as seen on the wire (unmasked). */
export interface ParsedFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** Parses server frames from raw bytes (for assertions, not speed). */
export function parseFrames(data: Buffer): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  let i = 0;
  while (i + 2 <= data.length) {
    const b0 = data[i]!;
    const b1 = data[i + 1]!;
    let length = b1 & 0x7f;
    let offset = i + 2;
    if (length === 126) {
      length = data.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = Number(data.readBigUInt64BE(offset));
      offset += 8;
    }
    let key: Buffer | null = null;
    if (b1 & 0x80) {
      key = data.subarray(offset, offset + 4);
      offset += 4;
    }
    if (offset + length > data.length) break;
    const payload = Buffer.from(data.subarray(offset, offset + length));
    if (key) for (let j = 0; j < payload.length; j++) payload[j]! ^= key[j & 3]!;
    frames.push({ fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload });
    i = offset + length;
  }
  return frames;
}

/**
 * Collects everything the peer sends until the socket closes; returns the frames. With `echoClose`,
 * answers the peer's close frame as a well-behaved client would.
 */
export async function framesUntilClose(socket: Socket, echoClose = false): Promise<ParsedFrame[]> {
  const chunks: Buffer[] = [];
  let echoed = false;
  socket.on("data", (chunk) => {
    chunks.push(chunk);
    if (!echoClose || echoed) return;
    const close = parseFrames(Buffer.concat(chunks)).find((f) => f.opcode === 0x8);
    if (close === undefined) return;
    echoed = true;
    socket.write(rawFrame(0x8, close.payload));
  });
  socket.on("error", () => {});
  socket.resume();
  await once(socket, "close");
  return parseFrames(Buffer.concat(chunks));
}

/** The status code of the close frame among `frames`, or null. */
export function closeCodeOf(frames: ParsedFrame[]): number | null {
  const close = frames.find((f) => f.opcode === 0x8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
}

/**
 * A raw TCP WebSocket "server" that completes the handshake by hand (with the given extra response
 * lines) and hands over the socket, for sending our client what no real server would.
 */
export async function startRawServer(
  onSocket: (socket: Socket) => void,
  extraResponse: string[] = [],
): Promise<{ server: Server; url: string }> {
  const server = createServer(async (socket) => {
    socket.on("error", () => {});
    const { head } = await readHead(socket);
    const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? "";
    socket.write(
      [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Accept: ${acceptKey(key)}`,
        ...extraResponse,
        "",
        "",
      ].join("\r\n"),
    );
    onSocket(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return { server, url: `ws://127.0.0.1:${port}` };
}

/** Resolves with the `close` event's arguments; unlike `events.once`, an `error` event does not reject. */
export function closed(emitter: {
  once(event: "close", listener: (code: number, reason: Buffer) => void): unknown;
}) {
  return new Promise<[number, Buffer]>((resolve) => {
    emitter.once("close", (code, reason) => resolve([code, reason]));
  });
}
