// Glue between a connection and its socket and frame reader: listeners shared by every connection
// (`this` is the socket, which points at its handler), so a connection costs no bound functions.
import type { Duplex } from "node:stream";
import type { WebSocketError } from "./errors.js";
import type { FrameReaderSink } from "./frame-reader.js";

/** What a connection does with its socket's events. */
export interface SocketHandler {
  onSocketData(chunk: Buffer): void;
  onSocketEnd(): void;
  onSocketClose(): void;
  onSocketError(): void;
  onSocketDrain(): void;
}

/** What a connection does with what its frame reader parsed. */
export interface ReaderHandler {
  onReaderMessage(fragments: Buffer[], length: number, isBinary: boolean): void;
  onReaderPing(payload: Buffer): void;
  onReaderPong(payload: Buffer): void;
  onReaderClose(code: number, reason: Buffer): void;
  onReaderError(error: WebSocketError): void;
  onReaderDrain(): void;
}

const kHandler = Symbol("socketHandler");
type OwnedSocket = Duplex & { [kHandler]: SocketHandler };

/** Routes `socket`'s events to `handler`. */
export function attachSocket(socket: Duplex, handler: SocketHandler): void {
  (socket as OwnedSocket)[kHandler] = handler;
  socket.on("data", socketData);
  socket.on("end", socketEnd);
  socket.on("close", socketClose);
  socket.on("error", socketError);
  socket.on("drain", socketDrain);
}

function socketData(this: Duplex, chunk: Buffer): void {
  (this as OwnedSocket)[kHandler].onSocketData(chunk);
}
function socketEnd(this: Duplex): void {
  (this as OwnedSocket)[kHandler].onSocketEnd();
}
function socketClose(this: Duplex): void {
  (this as OwnedSocket)[kHandler].onSocketClose();
}
function socketError(this: Duplex): void {
  (this as OwnedSocket)[kHandler].onSocketError();
}
function socketDrain(this: Duplex): void {
  (this as OwnedSocket)[kHandler].onSocketDrain();
}

/** The frame reader's sink: one small object per connection instead of six closures. */
export class ReaderSink implements FrameReaderSink {
  private readonly handler: ReaderHandler;
  constructor(handler: ReaderHandler) {
    this.handler = handler;
  }
  onMessage(fragments: Buffer[], length: number, isBinary: boolean): void {
    this.handler.onReaderMessage(fragments, length, isBinary);
  }
  onPing(payload: Buffer): void {
    this.handler.onReaderPing(payload);
  }
  onPong(payload: Buffer): void {
    this.handler.onReaderPong(payload);
  }
  onClose(code: number, reason: Buffer): void {
    this.handler.onReaderClose(code, reason);
  }
  onError(error: WebSocketError): void {
    this.handler.onReaderError(error);
  }
  onDrain(): void {
    this.handler.onReaderDrain();
  }
}
