// The closing handshake (RFC 6455 §7): what was sent and received, the status to report, and the
// timer that destroys a socket whose peer never answers.
import { CloseCode, isValidCloseCode } from "./close-codes.js";
import { WebSocketError } from "./errors.js";
import { MAX_CONTROL_PAYLOAD, Opcode } from "./opcode.js";

const EMPTY: Buffer = Buffer.alloc(0);
/** A close frame's reason leaves room for the 2-byte code. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** The send side the handshake writes its close frame to and ends once everything before it is out. */
export interface CloseFrameSender {
  sendControl(opcode: Opcode, payload: Buffer, cb: undefined): void;
  endWhenFlushed(): void;
}

/** What the timer does when the peer does not complete the handshake in time. */
export interface CloseTimeoutTarget {
  onCloseTimeout(): void;
}

/**
 * Checks `close(code, reason)` arguments: `code` 1000, 1001–1003, 1007–1014 or 3000–4999 and a reason
 * of at most 123 bytes. Returns the reason's bytes; throws `INVALID_ARGUMENT` otherwise.
 */
export function closeReasonBytes(code: number | undefined, reason: string | Buffer | undefined): Buffer {
  if (code !== undefined && !isValidCloseCode(code)) {
    throw new WebSocketError("INVALID_ARGUMENT", `invalid close code ${code}`);
  }
  const bytes = reason === undefined ? EMPTY : typeof reason === "string" ? Buffer.from(reason) : reason;
  if (bytes.length > MAX_CLOSE_REASON) {
    throw new WebSocketError("INVALID_ARGUMENT", `close reason exceeds ${MAX_CLOSE_REASON} bytes`);
  }
  return bytes;
}

/** A close frame's payload: empty without a code, else the code and the reason. */
export function closePayload(code: number | undefined, reason: Buffer): Buffer {
  if (code === undefined) return EMPTY;
  const payload = Buffer.allocUnsafe(2 + reason.length);
  payload.writeUInt16BE(code, 0);
  reason.copy(payload, 2);
  return payload;
}

/** The state of one connection's closing handshake. */
export class CloseHandshake {
  /** Our close frame was queued. */
  private frameSent = false;
  /** The peer's close frame arrived. */
  private frameReceived = false;
  private receivedCode: number = CloseCode.Abnormal;
  private receivedReason: Buffer = EMPTY;
  private timer: NodeJS.Timeout | null = null;

  /**
   * `close()` on an open connection: queues our close frame unless it went already, and ends the socket
   * after it when the peer's frame came first. Returns whether our frame was queued by this call.
   */
  start(sender: CloseFrameSender, code: number | undefined, reason: Buffer): boolean {
    const first = !this.frameSent;
    if (first) this.sendFrame(sender, code, reason);
    if (this.frameReceived) sender.endWhenFlushed();
    return first;
  }

  /**
   * The peer's close frame: echo its status code (RFC 6455 §5.5.1; and, as ws does, the reason) unless
   * ours went already. Both frames exchanged, the TCP connection may go (§7.1.1, the server first), once
   * everything queued before our close frame is written.
   */
  peerClosed(sender: CloseFrameSender, code: number, reason: Buffer): void {
    this.frameReceived = true;
    this.receivedCode = code;
    this.receivedReason = reason;
    if (!this.frameSent) this.sendFrame(sender, code === CloseCode.NoStatus ? undefined : code, reason);
    sender.endWhenFlushed();
  }

  /**
   * The peer broke the protocol (RFC 6455 §7.1.7): a close frame with the error's code (when `open` and
   * none went yet, the message as its reason when short enough), then the socket ends.
   */
  failed(sender: CloseFrameSender, error: WebSocketError, open: boolean): void {
    if (!this.frameSent && open) {
      const reason = Buffer.from(error.message.slice(0, MAX_CLOSE_REASON));
      this.sendFrame(sender, error.closeCode, reason.length <= MAX_CLOSE_REASON ? reason : EMPTY);
    }
    sender.endWhenFlushed();
  }

  private sendFrame(sender: CloseFrameSender, code: number | undefined, reason: Buffer): void {
    this.frameSent = true;
    sender.sendControl(Opcode.Close, closePayload(code, reason), undefined);
  }

  /** Both close frames were exchanged (the browser's `wasClean`). */
  get wasClean(): boolean {
    return this.frameSent && this.frameReceived;
  }

  /** The `close` event's code: the peer's, 1005 for none in its frame, 1006 when no frame arrived. */
  get code(): number {
    return this.frameReceived ? this.receivedCode : CloseCode.Abnormal;
  }

  get reason(): Buffer {
    return this.receivedReason;
  }

  /** Arms the close timeout once; it is `unref`'d: the socket, not the timer, keeps the process alive. */
  startTimer(timeout: number, target: CloseTimeoutTarget): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(closeTimedOut, timeout, target, this);
    this.timer.unref();
  }

  clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** The timer fired. */
  timedOut(): void {
    this.timer = null;
  }
}

function closeTimedOut(target: CloseTimeoutTarget, handshake: CloseHandshake): void {
  handshake.timedOut();
  target.onCloseTimeout();
}
