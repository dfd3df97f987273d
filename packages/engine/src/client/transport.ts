import type { CloseHint } from "../close-hint.js";
import type { Packet } from "../parser/index.js";
import { Emitter } from "./emitter.js";
import { EngineClientError } from "./errors.js";
import type { ResolvedOptions, TransportName } from "./options.js";
import { decodePacket, PROTOCOL_VERSION } from "./packet-codec.js";

/** Why a transport closed (given to the `close` event). */
export interface CloseDetails {
  description: string;
  context?: unknown;
  /** What the server said before closing (a Volley server's close hint), set by the engine client. */
  hint?: CloseHint;
}

export type TransportEvents = {
  open: () => void;
  packet: (packet: Packet) => void;
  /** The transport wrote everything it was given and can take more. */
  drain: () => void;
  error: (error: EngineClientError) => void;
  close: (details?: CloseDetails) => void;
  /** Polling only: one GET finished. */
  pollComplete: () => void;
};

export type TransportState = "opening" | "open" | "pausing" | "paused" | "closed";

/**
 * One way of carrying Engine.IO packets (long-polling or WebSocket). A transport knows URLs, framing and
 * its own writability; the session (EngineClient) owns heartbeats, buffering and upgrades.
 */
export abstract class Transport extends Emitter<TransportEvents> {
  /**
   * Milliseconds a server limit asked for when it refused this transport's request (HTTP 429/503 with
   * `retryAfter` in its JSON body or a `Retry-After` header); the engine client takes it on error.
   */
  declare retryAfter?: number;
  /** `"polling"` or `"websocket"` (on the prototype, so a transport class names itself too). */
  // Fields without an initializer are `declare`d: set in the constructor or later, they need no class
  // field definition (bytes in the browser bundle, whose size is budgeted).
  abstract readonly name: "polling" | "websocket";
  readyState: TransportState = "opening";
  /** True when `send` may be called now. */
  writable = false;
  /** The session id once known; sent as the `sid` query parameter. */
  declare sid: string | undefined;

  protected readonly _opts: ResolvedOptions;

  constructor(opts: ResolvedOptions) {
    super();
    // `transportOptions[name]` overrides the session's options for this transport only.
    this._opts = { ...opts, ...opts.transportOptions?.[(this as { name: TransportName }).name] };
  }

  open(): this {
    this.readyState = "opening";
    this._doOpen();
    return this;
  }

  close(): this {
    if (/^o/.test(this.readyState)) {
      this._doClose();
      this._onClose();
    }
    return this;
  }

  /** Writes packets; the caller waits for `drain` before sending more. */
  send(packets: Packet[]): void {
    if (this.readyState === "open") this._write(packets);
  }

  /** Stops receiving so another transport can take over; polling waits for its requests in flight. */
  pause(onPause: () => void): void {
    this.readyState = "paused";
    onPause();
  }

  protected _onOpen(): void {
    this.readyState = "open";
    this.writable = true;
    this._emit("open");
  }

  protected _onData(raw: string | ArrayBuffer | Uint8Array): void {
    let packet: Packet;
    try {
      packet = decodePacket(raw);
    } catch (error) {
      this._emit("error", error as EngineClientError);
      return;
    }
    this._onPacket(packet);
  }

  protected _onPacket(packet: Packet): void {
    this._emit("packet", packet);
  }

  protected _onError(code: EngineClientError["code"], description?: unknown, context?: unknown): void {
    this._emit("error", new EngineClientError(code, description, context));
  }

  protected _onClose(details?: CloseDetails): void {
    this.readyState = "closed";
    this.writable = false;
    this._emit("close", details);
  }

  /** The transport URL: scheme, host, path and the query (EIO, transport, sid, user query, timestamp). */
  protected _uri(scheme: string, timestamp: boolean | undefined): string {
    const opts = this._opts;
    const params = new URLSearchParams(opts.query);
    params.set("EIO", `${PROTOCOL_VERSION}`);
    params.set("transport", this.name);
    if (this.sid) params.set("sid", this.sid);
    // A unique value defeats caches that would replay an old poll.
    if (timestamp) params.set(opts.timestampParam ?? "t", Date.now().toString(36) + seed++);
    return `${scheme}${opts.secure ? "s" : ""}://${opts.host}${opts.path}?${params}`;
  }

  protected abstract _doOpen(): void;
  protected abstract _doClose(): void;
  protected abstract _write(packets: Packet[]): void;
}

let seed = 0;
