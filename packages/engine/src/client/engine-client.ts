import type { CloseHint } from "../close-hint.js";
import type { BinaryData, Packet, PacketTypeName } from "../parser/index.js";
import { encodedByteLength, toPlatformBinary } from "./binary.js";
import { Emitter } from "./emitter.js";
import type {
  EngineClientEvents,
  EngineCloseReason,
  EngineReadyState,
  HandshakeData,
  SendOptions,
} from "./engine-client-events.js";
import { EngineClientError } from "./errors.js";
import {
  type EngineClientOptions,
  type ResolvedOptions,
  resolveOptions,
  type TransportName,
} from "./options.js";
import { PollingTransport } from "./polling.js";
import type { CloseDetails, Transport } from "./transport.js";
import { WebSocketTransport } from "./websocket.js";
import { isNode } from "./websocket-constructor.js";

export type {
  EngineClientEvents,
  EngineCloseReason,
  EngineReadyState,
  HandshakeData,
  MessageData,
  SendOptions,
} from "./engine-client-events.js";

/** The page (browsers only; Node's globalThis has no addEventListener). */
const page = globalThis as {
  addEventListener?(type: string, listener: () => void, options: { signal: AbortSignal }): void;
};

/**
 * One Engine.IO 4 session as a client: handshake, heartbeat, buffered writes, upgrade from polling to
 * WebSocket. Works in browsers and in Node 20.
 *
 * @example
 * const engine = new EngineClient("http://localhost:3000", { transports: ["websocket"] });
 * engine.on("open", () => engine.send("hello"));
 * engine.on("message", (data) => console.log(data));
 */
export class EngineClient extends Emitter<EngineClientEvents> {
  /** Whether the last session reached WebSocket (for `rememberUpgrade`). */
  static priorWebsocketSuccess = false;

  // Fields without an initializer are `declare`d: set in the constructor or later, they need no class
  // field definition (bytes in the browser bundle, whose size is budgeted).
  /** The session id (`sid`), once the handshake is done. */
  id: string | null = null;
  readyState: EngineReadyState = "opening";
  /** The transport in use. */
  declare transport: Transport;
  /** Upgrades the server offered that we are willing to use. */
  upgrades: TransportName[] = [];
  /**
   * Milliseconds the server asked this client to wait before connecting again: the hint of a server closing
   * gracefully (a noop `6{"reconnectAfter":ms}`, which other clients ignore) or the `retryAfter` of a
   * handshake refused by a server limit (HTTP 429/503). 0 when none; the Manager waits at least this long.
   */
  retryAfter = 0;
  /**
   * Why the server is closing this session, when it said so first (a Volley server's close hint, a noop
   * `6{"reason":…,"message":…,"reconnectAfter":ms}`): also set as `hint` on the `close` event's description.
   */
  declare hint?: CloseHint;
  pingInterval = 0;
  pingTimeout = 0;
  /** Largest polling body the server accepts (from the handshake); 0 = no limit. */
  maxPayload = 0;
  /** True while switching transports; writes wait. */
  upgrading = false;
  declare readonly opts: ResolvedOptions;

  #writeBuffer: Packet[] = [];
  #callbacks: Array<(() => void) | undefined> = [];
  #inFlight = 0;
  #flushScheduled = false;
  #pingTimer: unknown;
  #pingDeadline = 0;
  // Removes our page listeners (`beforeunload`, `offline`) when the session closes.
  #page = new AbortController();

  constructor(uri?: string | EngineClientOptions, opts: EngineClientOptions = {}) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.opts = resolveOptions(uri, opts);
    const signal = this.#page.signal;
    // Closing before the page goes avoids an error shown to the user while the page unloads.
    if (opts.closeOnBeforeunload)
      page.addEventListener?.("beforeunload", () => this.transport?.removeAllListeners().close(), { signal });
    page.addEventListener?.(
      "offline",
      () => this.#onClose("transport close", { description: "network connection lost" }),
      { signal },
    );
    const transports = this.opts.transports;
    const name =
      opts.rememberUpgrade && EngineClient.priorWebsocketSuccess && transports.includes("websocket")
        ? "websocket"
        : transports[0];
    if (name) this.#setTransport(this.#createTransport(name)).open();
    else queueMicrotask(() => this.#onError(new EngineClientError("NO_TRANSPORTS")));
  }

  /**
   * True when a message sent now leaves without waiting behind another write: always on an open
   * WebSocket (it queues frames itself), on polling only while no POST is in flight. Volatile emits use it.
   */
  get writable(): boolean {
    const transport = this.transport;
    return (
      this.readyState === "open" &&
      !this.upgrading &&
      (transport.name === "websocket" || (transport.writable && this.#inFlight === 0))
    );
  }

  /** Queues a message; packets sent in the same turn leave together. `callback` runs once it is written. */
  send(data: string | BinaryData, _options?: SendOptions, callback?: () => void): this {
    this.#sendPacket("message", data, callback);
    return this;
  }

  /** Alias of `send`. */
  write(data: string | BinaryData, options?: SendOptions, callback?: () => void): this {
    return this.send(data, options, callback);
  }

  /** Closes the session after writing what is queued (reason `io client disconnect`). */
  close(): this {
    if (/^o/.test(this.readyState)) {
      this.readyState = "closing";
      // After what is queued is written, and after an upgrade in progress (it fails or succeeds).
      const close = () =>
        this.upgrading
          ? this.once("upgrade", close).once("upgradeError", close)
          : this.#onClose("io client disconnect");
      if (this.#writeBuffer.length > 0) this.once("drain", close);
      else close();
    }
    return this;
  }

  /**
   * Bytes `data` occupies as one message packet on the current transport, as the server's `maxPayload`
   * counts them: a WebSocket frame carries binary as is, a polling body as base64 behind a `b`.
   */
  packetSize(data: string | BinaryData): number {
    return typeof data === "string" || this.transport.name !== "websocket" || this.opts.forceBase64
      ? encodedByteLength(data)
      : data.byteLength;
  }

  /**
   * True when the heartbeat deadline passed without the timer firing (a suspended laptop, a frozen tab):
   * the session is dead though nothing said so yet. Closes it with `ping timeout`.
   */
  hasPingExpired(): boolean {
    if (this.#pingDeadline === 0 || this.opts.timers.now() <= this.#pingDeadline) return false;
    this.#pingDeadline = 0;
    queueMicrotask(() => this.#onClose("ping timeout"));
    return true;
  }

  #createTransport(name: TransportName): Transport {
    const transport = new (name === "websocket" ? WebSocketTransport : PollingTransport)(this.opts);
    if (this.id) transport.sid = this.id;
    return transport;
  }

  #setTransport(transport: Transport): Transport {
    // The one replaced is closed (a no-op for a transport paused by an upgrade).
    this.transport?.removeAllListeners().close();
    this.transport = transport;
    return transport
      .on("drain", () => this.#onDrain())
      .on("packet", (packet) => this.#onPacket(packet))
      .on("error", (error) => this.#onError(error))
      .on("close", (details) => this.#onClose("transport close", details));
  }

  #onPacket(packet: Packet): void {
    if (this.readyState === "closed") return;
    this._emit("packet", packet);
    this._emit("heartbeat");
    const { type, data } = packet;
    if (type === "open") this.#onHandshake(data);
    else if (type === "ping") {
      this.#resetPingTimeout();
      this.#sendPacket("pong");
      this._emit("ping");
    } else if (type === "message") {
      const out = data === undefined ? "" : typeof data === "string" ? data : toPlatformBinary(data);
      this._emit("data", out);
      this._emit("message", out);
    } else if (type === "noop")
      try {
        // A bare noop (upgrade) is not JSON: nothing to keep.
        // biome-ignore lint/suspicious/noAssignInExpressions: the shortest form (browser bundle budget).
        this.retryAfter = (this.hint = JSON.parse(data as string) as CloseHint).reconnectAfter! | 0;
      } catch {}
    // pong (only as a probe answer, handled by the probe), upgrade: nothing to do.
  }

  #onHandshake(raw: Packet["data"]): void {
    let data: Partial<HandshakeData> | undefined;
    try {
      data = JSON.parse(raw as string);
    } catch {}
    if (
      typeof data?.sid !== "string" ||
      !Number.isFinite(data.pingInterval) ||
      !Number.isFinite(data.pingTimeout) ||
      !Array.isArray(data.upgrades)
    ) {
      this.#onError(new EngineClientError("HANDSHAKE_ERROR", raw));
      return;
    }
    this._emit("handshake", data as HandshakeData);
    this.id = this.transport.sid = data.sid;
    this.upgrades = data.upgrades.filter((u): u is TransportName =>
      this.opts.transports.includes(u as TransportName),
    );
    this.pingInterval = data.pingInterval!;
    this.pingTimeout = data.pingTimeout!;
    this.maxPayload = Math.max(Number(data.maxPayload) || 0, 0);
    this.readyState = "open";
    EngineClient.priorWebsocketSuccess = this.transport.name === "websocket";
    this._emit("open");
    this.#flush();
    if (this.readyState !== "open") return;
    this.#resetPingTimeout();
    if (this.opts.upgrade !== false && this.transport.name === "polling")
      for (const upgrade of this.upgrades) if (upgrade !== "polling") this.#probe(upgrade);
  }

  // A server that stops pinging is gone: no ping within pingInterval + pingTimeout closes the session.
  #resetPingTimeout(): void {
    const timers = this.opts.timers;
    const delay = this.pingInterval + this.pingTimeout;
    timers.clearTimeout(this.#pingTimer);
    this.#pingDeadline = timers.now() + delay;
    this.#pingTimer = timers.setTimeout(() => this.#onClose("ping timeout"), delay);
  }

  #sendPacket(type: PacketTypeName, data?: string | BinaryData, callback?: () => void): void {
    if (this.readyState[0] === "c") return; // closing or closed
    const packet: Packet = data === undefined ? { type } : { type, data };
    this._emit("packetCreate", packet);
    this.#writeBuffer.push(packet);
    this.#callbacks.push(callback);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    const buffer = this.#writeBuffer;
    const transport = this.transport;
    const state = this.readyState;
    if (
      (state === "open" || state === "closing") &&
      transport.writable &&
      !this.upgrading &&
      !this.#inFlight &&
      buffer.length
    ) {
      // Polling bodies stay within the server's maxPayload and its default maxPacketsPerPayload (1000): the
      // rest waits for the next request.
      let count = 1;
      if (transport.name === "polling")
        for (let size = encodedByteLength(buffer[0]!.data); count < buffer.length && count < 1000; count++) {
          size += 1 + encodedByteLength(buffer[count]!.data);
          if (this.maxPayload && size > this.maxPayload) break;
        }
      else count = buffer.length;
      this.#inFlight = count;
      transport.send(buffer.slice(0, count));
      this._emit("flush");
    }
  }

  #onDrain(): void {
    const written = this.#inFlight;
    this.#inFlight = 0;
    this.#writeBuffer.splice(0, written);
    for (const callback of this.#callbacks.splice(0, written)) callback?.();
    if (this.#writeBuffer.length === 0) this._emit("drain");
    else this.#flush();
  }

  #onError(error: EngineClientError): void {
    // tryAllTransports: a transport that fails to open gives way to the next one. Node only (the browser
    // bundle's size budget): browsers go on to reconnection.
    const next = isNode && this.opts.transports[this.opts.transports.indexOf(this.transport?.name) + 1];
    if (next && this.readyState === "opening" && this.opts.tryAllTransports) {
      this.#setTransport(this.#createTransport(next)).open();
      return;
    }
    error.retryAfter = this.retryAfter = (this.transport?.retryAfter as number) | 0;
    EngineClient.priorWebsocketSuccess = false;
    this._emit("error", error);
    this.#onClose("transport error", error);
  }

  #onClose(reason: EngineCloseReason, description?: CloseDetails | EngineClientError): void {
    if (this.readyState === "closed") return;
    this.opts.timers.clearTimeout(this.#pingTimer);
    this.#pingDeadline = 0;
    this.transport?.removeAllListeners().close();
    this.#page.abort();
    this.readyState = "closed";
    this.id = null;
    this.#writeBuffer = [];
    this.#callbacks = [];
    this.#inFlight = 0;
    if (description && this.hint) description.hint = this.hint;
    this._emit("close", reason, description);
  }

  /**
   * Tests a new transport beside the current one: `2probe` must come back as `3probe`. Then the old
   * transport is paused (its requests in flight finish), the new one sends `5` (upgrade) and takes over.
   */
  #probe(name: TransportName): void {
    const transport = this.#createTransport(name);
    let settled = false;
    EngineClient.priorWebsocketSuccess = false;
    // Until it succeeds, the probe transport's listeners are all ours: dropping them all is the cleanup.
    const freeze = () => {
      if (!settled) {
        settled = true;
        transport.removeAllListeners().close();
        this.off("close", freeze);
      }
    };
    const onError = (cause?: unknown) => {
      const error = new EngineClientError("PROBE_ERROR", cause);
      freeze();
      if (this.upgrading) {
        // The old transport is paused and cannot be resumed: the session is lost.
        this.upgrading = false;
        this.#onError(error);
      } else this._emit("upgradeError", error);
    };
    transport
      .once("open", () => {
        transport.send([{ type: "ping", data: "probe" }]);
        transport.once("packet", (packet) => {
          if (packet.type !== "pong" || packet.data !== "probe") return onError(packet);
          this.upgrading = true;
          this._emit("upgrading", transport);
          EngineClient.priorWebsocketSuccess = name === "websocket";
          this.transport.pause(() => {
            if (settled || this.readyState === "closed") return;
            settled = true;
            this.off("close", freeze);
            this.#setTransport(transport.removeAllListeners()).send([{ type: "upgrade" }]);
            this.upgrading = false;
            this._emit("upgrade", transport);
            this.#flush();
          });
        });
      })
      .once("error", onError)
      .once("close", onError);
    this.once("close", freeze);
    transport.open();
  }
}
