// The send side of a connection: frames leave in the order they were sent, corked per tick, waiting
// behind a message that zlib is still compressing or a Blob still being read.
import type { Duplex } from "node:stream";
import type { PerMessageDeflate } from "./deflate.js";
import type { WebSocketError } from "./errors.js";
import { EMPTY, isBlob, type SendData, toBuffer } from "./message-data.js";
import { encodeFrame, encodeTextFrame, type MaskGenerator } from "./frame-writer.js";
import { Opcode } from "./opcode.js";
import type { PreparedMessage } from "./prepared-message.js";

export type SendCallback = (error?: Error) => void;

export interface SendOptions {
  /** Send as a binary frame (true) or a text frame (false). Default: false for strings, true otherwise. */
  binary?: boolean;
  /** Compress when permessage-deflate was negotiated and the message reaches the threshold. Default true. */
  compress?: boolean;
  /**
   * False sends this data as a fragment of a message continued by the next `send` calls, the last of
   * which has `fin: true` (RFC 6455 §5.4). Fragmented messages are sent uncompressed. Default true.
   */
  fin?: boolean;
}
/** `Writable.write`'s callback type; ours is called the same way. */
type WriteCallback = ((error: Error | null | undefined) => void) | undefined;

/** What the queue needs from its connection: the error for a write the socket can no longer take. */
export interface SendQueueOwner {
  notWritableError(): WebSocketError;
}

/** A send waiting behind a message that is being compressed or read, so that frames keep their order. */
interface QueuedFrame {
  opcode: Opcode;
  data: Buffer;
  /** A Blob still to be read into `data`. */
  blob: Blob | null;
  compress: boolean;
  /** Frames prepared by `prepareMessage`, written as they are. */
  frames: Buffer[] | null;
  callback: SendCallback | undefined;
  fin: boolean;
}

/**
 * One connection's outgoing frames. Writes go straight to the socket unless a compression is in
 * flight; then everything queues behind it. `endWhenFlushed` lets the closing handshake wait until all
 * queued frames were written, so that no message is lost behind zlib.
 */
export class SendQueue {
  private readonly socket: Duplex;
  private readonly owner: SendQueueOwner;
  private readonly mask: boolean;
  private readonly deflate: PerMessageDeflate | null;
  private readonly generateMask: MaskGenerator | null;
  private corked = false;
  /** The head of the queue is in zlib or being read from a Blob: everything else waits behind it. */
  private busy = false;
  private queue: QueuedFrame[] = [];
  private queuedBytes = 0;
  /** End the socket once the queue is empty (the closing handshake is done with it). */
  private endPending = false;
  /** A fragmented send is in progress: the next data frames are continuations. */
  private fragmenting = false;

  constructor(
    socket: Duplex,
    owner: SendQueueOwner,
    mask: boolean,
    deflate: PerMessageDeflate | null,
    generateMask: MaskGenerator | null = null,
  ) {
    this.socket = socket;
    this.generateMask = generateMask;
    this.owner = owner;
    this.mask = mask;
    this.deflate = deflate;
    // Bound only with permessage-deflate: zlib calls back without a receiver.
    if (deflate !== null) this.onCompressed = this.onCompressed.bind(this);
  }

  /** Bytes accepted but not yet handed to the socket. */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /**
   * A message as `WebSocket.send` takes it: a string as a text frame, binary data as a binary frame
   * (`options.binary` overrides); compressed when negotiated, asked for and over the threshold; a
   * fragment of a message continued by the next sends when `options.fin` is false.
   */
  sendMessage(data: SendData, options: SendOptions | undefined, cb: SendCallback | undefined): void {
    const isText = typeof data === "string" || typeof data === "number";
    let opcode: Opcode = isText ? Opcode.Text : Opcode.Binary;
    if (options?.binary !== undefined) opcode = options.binary ? Opcode.Binary : Opcode.Text;
    const fin = options?.fin !== false;
    if (isBlob(data)) {
      const compress = this.shouldCompress(data.size, options, fin);
      if (this.fragmenting) opcode = Opcode.Continuation;
      this.fragmenting = !fin;
      this.sendBlob(opcode, data, compress, fin, cb);
      return;
    }
    // A whole string message that goes out now and uncompressed: framed straight from the string.
    if (
      typeof data === "string" &&
      fin &&
      !this.fragmenting &&
      !this.busy &&
      !this.wantsCompression(data, options)
    ) {
      this.writeText(opcode, data, cb);
      return;
    }
    const payload = toBuffer(data);
    if (!fin || this.fragmenting) {
      if (this.fragmenting) opcode = Opcode.Continuation;
      this.fragmenting = !fin;
      this.sendData(opcode, payload, false, fin, cb);
      return;
    }
    this.sendData(opcode, payload, this.shouldCompress(payload.length, options, true), true, cb);
  }

  /**
   * A message framed once by `prepareMessage` (broadcasts). Server side the frame bytes are written as
   * they are (deflated once for all, when prepared with `compress` and this connection negotiated
   * server_no_context_takeover); a client, which must mask, frames the prepared payload itself.
   */
  sendPrepared(prepared: PreparedMessage, cb: SendCallback | undefined): void {
    const opcode = prepared.binary ? Opcode.Binary : Opcode.Text;
    if (this.mask) {
      this.sendData(opcode, prepared.payload, false, true, cb);
      return;
    }
    const shared = this.deflate?.sharedSetup;
    const deflated = shared && prepared.deflated?.framesFor(shared);
    this.sendFrames(opcode, prepared.payload, deflated || prepared.frames, cb);
  }

  /** Whether a message of `size` bytes goes compressed (never a fragment: fragmented messages go plain). */
  private shouldCompress(size: number, options: SendOptions | undefined, fin: boolean): boolean {
    const deflate = this.deflate;
    return (
      fin &&
      !this.fragmenting &&
      deflate !== null &&
      options?.compress !== false &&
      deflate.canCompress &&
      size >= deflate.threshold
    );
  }

  /** Whether a whole string message would be compressed (its UTF-8 size is only counted with deflate). */
  private wantsCompression(text: string, options: SendOptions | undefined): boolean {
    if (this.deflate === null || options?.compress === false) return false;
    return this.shouldCompress(Buffer.byteLength(text, "utf8"), options, true);
  }

  /** A data message: compressed when `compress` (the caller checked the extension and threshold). */
  private sendData(
    opcode: Opcode,
    payload: Buffer,
    compress: boolean,
    fin: boolean,
    cb: SendCallback | undefined,
  ): void {
    if (compress || this.busy) this.enqueue(opcode, payload, compress, null, cb, fin);
    else this.writeFrame(opcode, payload, false, cb, fin);
  }

  /** A Blob message: read asynchronously, then framed (and compressed when `compress`) in its turn. */
  private sendBlob(
    opcode: Opcode,
    blob: Blob,
    compress: boolean,
    fin: boolean,
    cb: SendCallback | undefined,
  ): void {
    this.queue.push({ opcode, data: EMPTY, blob, compress, frames: null, callback: cb, fin });
    this.queuedBytes += blob.size;
    if (!this.busy) this.flush();
  }

  /** Frames framed once by `prepareMessage`, written as they are. */
  sendFrames(opcode: Opcode, payload: Buffer, frames: Buffer[], cb: SendCallback | undefined): void {
    if (this.busy) this.enqueue(opcode, payload, false, frames, cb, true);
    else this.writeFrames(frames, cb);
  }

  /** A control frame (or any frame that must not be compressed), in order with the rest. */
  sendControl(opcode: Opcode, payload: Buffer, cb: SendCallback | undefined): void {
    if (this.busy) this.enqueue(opcode, payload, false, null, cb, true);
    else this.writeFrame(opcode, payload, false, cb, true);
  }

  /**
   * Ends the socket's write side once every queued frame has been handed to it (at once when idle):
   * a message still in zlib and the close frame behind it are written first, never dropped.
   */
  endWhenFlushed(): void {
    if (!this.busy && this.queue.length === 0) this.socket.end();
    else this.endPending = true;
  }

  /** The socket is gone: every queued send fails with `error`. */
  rejectAll(error: WebSocketError): void {
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.busy = false;
    this.endPending = false;
    for (const item of queue) if (item.callback !== undefined) item.callback(error);
  }

  /** Ends the tick's cork (see `cork`). */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * Frames queued in one tick leave in one socket write: cork now, uncork on the next tick. One
   * `nextTick` serves every queue corked in the tick, so a broadcast to N connections schedules one.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    corkedQueues.push(this);
    if (corkedQueues.length === 1) process.nextTick(uncorkAll);
  }

  private writable(cb: SendCallback | undefined): boolean {
    const socket = this.socket;
    if (!socket.destroyed && socket.writable) return true;
    if (cb !== undefined) process.nextTick(cb, this.owner.notWritableError());
    return false;
  }

  private writeFrame(
    opcode: Opcode,
    payload: Buffer,
    rsv1: boolean,
    cb: SendCallback | undefined,
    fin: boolean,
  ): void {
    if (!this.writable(cb)) return;
    this.cork();
    const frame = encodeFrame(opcode, payload, fin, rsv1, this.mask, this.generateMask);
    if (Array.isArray(frame)) {
      this.socket.write(frame[0]);
      this.socket.write(frame[1], cb as WriteCallback);
    } else this.socket.write(frame, cb as WriteCallback);
  }

  private writeText(opcode: Opcode, text: string, cb: SendCallback | undefined): void {
    if (!this.writable(cb)) return;
    this.cork();
    this.socket.write(encodeTextFrame(opcode, text, true, this.mask, this.generateMask), cb as WriteCallback);
  }

  private writeFrames(frames: Buffer[], cb: SendCallback | undefined): void {
    if (!this.writable(cb)) return;
    this.cork();
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) this.socket.write(frames[i]);
    this.socket.write(frames[last], cb as WriteCallback);
  }

  private enqueue(
    opcode: Opcode,
    data: Buffer,
    compress: boolean,
    frames: Buffer[] | null,
    callback: SendCallback | undefined,
    fin: boolean,
  ): void {
    this.queue.push({ opcode, data, blob: null, compress, frames, callback, fin });
    this.queuedBytes += data.length;
    if (!this.busy) this.flush();
  }

  /** Writes queued frames in order until one needs compressing, then waits for zlib. */
  private flush(): void {
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      if (item.blob !== null) {
        this.busy = true;
        this.readBlob(item, item.blob);
        return;
      }
      if (item.compress && this.deflate !== null) {
        this.busy = true;
        this.deflate.compress(item.data, this.onCompressed);
        return;
      }
      this.queue.shift();
      this.queuedBytes -= item.data.length;
      if (item.frames !== null) this.writeFrames(item.frames, item.callback);
      else this.writeFrame(item.opcode, item.data, false, item.callback, item.fin);
    }
    if (this.endPending) {
      this.endPending = false;
      this.socket.end();
    }
  }

  private readBlob(item: QueuedFrame, blob: Blob): void {
    blob.arrayBuffer().then(
      (bytes) => {
        if (this.queue[0] !== item) return; // the socket closed meanwhile
        this.busy = false;
        item.blob = null;
        item.data = Buffer.from(bytes);
        this.queuedBytes += item.data.length - blob.size;
        this.flush();
      },
      (error: unknown) => {
        if (this.queue[0] !== item) return;
        this.busy = false;
        this.queue.shift();
        this.queuedBytes -= blob.size;
        // The message is skipped; its callback says why (a Blob whose backing file vanished, say).
        item.callback?.(error instanceof Error ? error : new Error(String(error)));
        this.flush();
      },
    );
  }

  private onCompressed(_error: WebSocketError | null, compressed: Buffer | null): void {
    if (!this.busy) return; // the socket closed meanwhile
    this.busy = false;
    const item = this.queue.shift();
    if (item === undefined) return;
    this.queuedBytes -= item.data.length;
    // A failed compression (null) still delivers the message, uncompressed.
    if (compressed === null) this.writeFrame(item.opcode, item.data, false, item.callback, true);
    else this.writeFrame(item.opcode, compressed, true, item.callback, true);
    this.flush();
  }
}

/** The queues corked in this tick, in the order they were corked. */
let corkedQueues: SendQueue[] = [];

function uncorkAll(): void {
  const queues = corkedQueues;
  corkedQueues = [];
  let i = 0;
  try {
    for (; i < queues.length; i++) queues[i]!.uncork();
  } finally {
    // Should one uncork throw, the queues after it still leave, on the next tick, as with a tick each.
    if (i < queues.length - 1) {
      if (corkedQueues.length === 0) process.nextTick(uncorkAll);
      for (let j = i + 1; j < queues.length; j++) corkedQueues.push(queues[j]!);
    }
  }
}
