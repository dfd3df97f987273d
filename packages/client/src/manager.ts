import {
  type CloseDetails,
  subscribe,
  defaultTimers,
  Emitter,
  EngineClient,
  type EngineClientOptions,
  isNode,
  unrefTimers,
  type MessageData,
  type Timers,
} from "@volley/engine/client";
import type { DecoderLike, EncoderLike, Packet, Parser } from "@volley/protocol";
import { Backoff } from "./backoff.js";
import { ClientError } from "./errors.js";
import type { OutPacket, PacketHook } from "./packet-hook.js";
import { Decoder, Encoder } from "./parser.js";
import { Socket } from "./socket.js";
import type { SocketOptions } from "./socket-api.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/** Options of a Manager (one connection to a server). Every one is optional; defaults are listed. */
export interface ManagerOptions extends EngineClientOptions {
  /** Engine path on the server. Default `"/socket.io"`. */
  path?: string;
  /** Always create a new Manager instead of sharing one per server. Default `false`. */
  forceNew?: boolean;
  /** Share one Manager (one connection) between namespaces of a server. Default `true`. */
  multiplex?: boolean;
  /** Reconnect automatically after the connection is lost. Default `true`. */
  reconnection?: boolean;
  /** Attempts before giving up (`reconnect_failed`). Default `Infinity`. */
  reconnectionAttempts?: number;
  /** First delay before reconnecting, ms; doubles with each attempt. Default `1000`. */
  reconnectionDelay?: number;
  /** Largest delay between attempts, ms. Default `5000`. */
  reconnectionDelayMax?: number;
  /** Jitter, 0..1: each delay moves randomly by up to this fraction. Default `0.5`. */
  randomizationFactor?: number;
  /** Connection timeout, ms (`false` = none); then `connect_error` and a reconnection. Default `20000`. */
  timeout?: number | false;
  /** Connect as soon as a Socket is created. Default `true`. */
  autoConnect?: boolean;
  /** The Socket.IO packet codec. Default: JSON + binary attachments (the wire format of `@volley/protocol`). */
  parser?: Parser;
  /** Timers for backoff, connect timeout, ack timeouts and heartbeats. Default: the platform's. */
  timers?: Timers;
  /** Randomness for the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export type ManagerReservedEvents = {
  /** The connection is open (also after each successful reconnection). */
  open: () => void;
  /** Opening failed, or the engine reported an error. */
  error: (err: Error) => void;
  /** The server pinged. */
  ping: () => void;
  packet: (packet: Packet) => void;
  close: (reason: string, description?: CloseDetails | Error) => void;
  /** `reconnectionAttempts` exhausted. */
  reconnect_failed: () => void;
  /** A reconnection attempt starts (1-based attempt number). */
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  /** Reconnected after `attempt` attempts. */
  reconnect: (attempt: number) => void;
};

/**
 * One connection to a server (an Engine.IO session), shared by the Sockets of its namespaces; owns
 * reconnection with exponential backoff.
 */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ManagerReservedEvents> {
  // Fields without an initializer are `declare`d: set in the constructor or later, they need no class
  // field definition (bytes in the browser bundle, whose size is budgeted).
  /** The Engine.IO session: the current one, or the last one (set from the first `open()` on). */
  declare engine: EngineClient;
  /** The Sockets of this Manager, by namespace. */
  readonly nsps: Record<string, Socket> = {};
  declare readonly uri: string | undefined;
  declare readonly opts: ManagerOptions & { path: string; timers: Timers };
  declare readonly backoff: Backoff;
  /** @internal The add-ons' hooks on this connection's packets, run in this order (see {@link PacketHook}). */
  readonly hooks: PacketHook[] = [];
  /** @internal */
  _readyState: "opening" | "open" | "closed" = "closed";
  /** @internal */
  _reconnecting = false;
  /** @internal */
  declare _autoConnect: boolean;

  #reconnection: boolean;
  #reconnectionAttempts: number;
  #timeout: number | false;
  #subs: Array<() => void> = [];
  #encoder: EncoderLike;
  #decoder!: DecoderLike;
  #skipReconnect = false;

  constructor(uri?: string | ManagerOptions, opts?: ManagerOptions) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    const timers = opts?.timers ?? defaultTimers;
    // autoUnref (Node): reconnection and connect timers do not keep the process alive either.
    const options = {
      ...opts,
      path: opts?.path ?? "/socket.io",
      timers: isNode && opts?.autoUnref ? unrefTimers(timers) : timers,
      // Node, withCredentials: one cookie jar for every connection of this Manager (sticky sessions).
      ...(isNode && opts?.withCredentials && { cookies: opts.cookies ?? new Map<string, string>() }),
    };
    this.uri = uri;
    this.opts = options;
    this.backoff = new Backoff({
      min: options.reconnectionDelay ?? 1000,
      max: options.reconnectionDelayMax ?? 5000,
      jitter: options.randomizationFactor ?? 0.5,
      random: options.random,
    });
    this.#reconnection = options.reconnection !== false;
    this.#reconnectionAttempts = options.reconnectionAttempts ?? Infinity;
    this.#timeout = options.timeout ?? 20000;
    this.#encoder = new (options.parser?.Encoder ?? Encoder)();
    this.#newDecoder();
    this._autoConnect = options.autoConnect !== false;
    if (this._autoConnect) this.open();
  }

  /** Gets or sets `reconnection`. */
  reconnection(): boolean;
  reconnection(value: boolean): this;
  reconnection(value?: boolean): boolean | this {
    if (value === undefined) return this.#reconnection;
    this.#reconnection = value;
    if (!value) this.#skipReconnect = true;
    return this;
  }

  /** Gets or sets `reconnectionAttempts`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): number | this {
    if (value === undefined) return this.#reconnectionAttempts;
    this.#reconnectionAttempts = value;
    return this;
  }

  /** Gets or sets `reconnectionDelay`. */
  reconnectionDelay(): number;
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): number | this {
    return this.#backoff("min", value);
  }

  /** Gets or sets `reconnectionDelayMax`. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): number | this {
    return this.#backoff("max", value);
  }

  /** Gets or sets `randomizationFactor`. */
  randomizationFactor(): number;
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): number | this {
    return this.#backoff("jitter", value);
  }

  /** Gets or sets the connection `timeout`. */
  timeout(): number | false;
  timeout(value: number | false): this;
  timeout(value?: number | false): number | false | this {
    if (value === undefined) return this.#timeout;
    this.#timeout = value;
    return this;
  }

  #backoff(key: "min" | "max" | "jitter", value: number | undefined): number | this {
    if (value === undefined) return this.backoff[key];
    this.backoff[key] = value;
    return this;
  }

  /**
   * Opens the connection (no-op when open or opening). `callback` gets an error on failure, and then no
   * automatic reconnection happens from this call.
   */
  open(callback?: (err?: Error) => void): this {
    if (this._readyState !== "closed") return this;
    const engine = new EngineClient(this.uri, this.opts);
    const timers = this.opts.timers;
    this.engine = engine;
    this._readyState = "opening";
    this.#skipReconnect = false;
    const onError = (err: Error) => {
      this.#cleanup();
      this._readyState = "closed";
      this._emit("error", err);
      if (callback) callback(err);
      // The first connection failed: start reconnecting, unless a reconnection loop already runs.
      else if (!this._reconnecting && this.#reconnection && this.backoff.attempts === 0) this.#reconnect();
    };
    this.#sub(engine, {
      open: () => {
        this.#onOpen();
        callback?.();
      },
      error: onError,
    });
    if (this.#timeout !== false) {
      const timer = timers.setTimeout(() => {
        onError(new ClientError("CONNECT_TIMEOUT", "timeout"));
        engine.close();
      }, this.#timeout);
      this.#subs.push(() => timers.clearTimeout(timer));
    }
    return this;
  }

  /** Alias of `open`. */
  connect(callback?: (err?: Error) => void): this {
    return this.open(callback);
  }

  /** The Socket of namespace `nsp` on this connection (created on first use, reused after). */
  socket(nsp: string, opts?: SocketOptions): Socket<ListenEvents, EmitEvents> {
    let socket = this.nsps[nsp];
    if (!socket) this.nsps[nsp] = socket = new Socket(this as Manager, nsp, opts);
    else if (this._autoConnect && !socket.active) socket.connect();
    return socket as unknown as Socket<ListenEvents, EmitEvents>;
  }

  /** Closes the connection and stops reconnecting; every Socket gets `disconnect` (`forced close`). */
  disconnect(): void {
    this._close();
  }

  /** Alias of `disconnect`. */
  close(): void {
    this._close();
  }

  /** @internal A Socket became inactive: the connection closes once no Socket is active. */
  _destroy(): void {
    if (!Object.values(this.nsps).some((socket) => socket.active)) this._close();
  }

  /**
   * @internal Encodes and writes one Socket.IO packet, once the hooks saw it: the Sockets' way out, and the
   * add-ons'. Writes nothing and returns `PAYLOAD_TOO_LARGE` when one of its engine packets exceeds the
   * server's `maxPayload` (which would make the server close the connection).
   */
  write(packet: OutPacket): ClientError | undefined {
    const engine = this.engine;
    for (const hook of this.hooks) hook.writing(packet);
    const chunks = this.#encoder.encode(packet);
    const maxPayload = engine.maxPayload;
    const size = Math.max(...chunks.map((chunk) => engine.packetSize(chunk)));
    if (maxPayload && size > maxPayload)
      // The sizes in the message in Node; the browser bundle (no prose) has them in `data` only.
      return new ClientError(
        "PAYLOAD_TOO_LARGE",
        isNode ? `payload too large: ${size} > ${maxPayload} bytes` : undefined,
        {
          size,
          maxPayload,
        },
      );
    for (const chunk of chunks) engine.write(chunk, packet.options);
  }

  /** @internal */
  _close(): void {
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.#onClose("forced close");
  }

  // biome-ignore lint/suspicious/noExplicitAny: subscribes to any emitter's events.
  #sub<Events extends Record<string, any>>(emitter: Emitter<Events>, handlers: Partial<Events>): void {
    this.#subs.push(subscribe(emitter, handlers));
  }

  #newDecoder(): void {
    this.#decoder = new (this.opts.parser?.Decoder ?? Decoder)();
  }

  #onOpen(): void {
    this.#cleanup();
    this._readyState = "open";
    this._emit("open");
    this.#sub(this.engine!, {
      ping: () => this._emit("ping"),
      data: (data: MessageData) => {
        let packet: Packet | undefined;
        try {
          packet = this.#decoder.add(data);
        } catch (err) {
          // A malformed packet means the stream can no longer be trusted: drop the connection.
          return this.#onClose("parse error", err as Error);
        }
        if (packet) {
          for (const hook of this.hooks) if (hook.received(packet)) return;
          this._emit("packet", packet);
        }
      },
      error: (err: Error) => this._emit("error", err),
      close: (reason: string, description?: CloseDetails | Error) => this.#onClose(reason, description),
    });
  }

  #cleanup(): void {
    for (const unsubscribe of this.#subs) unsubscribe();
    this.#subs = [];
    this.#decoder.destroy();
    this.#newDecoder();
  }

  #onClose(reason: string, description?: CloseDetails | Error): void {
    this.#cleanup();
    this.engine?.close();
    this.backoff.reset();
    this._readyState = "closed";
    for (const hook of this.hooks) hook.closed();
    this._emit("close", reason, description);
    if (this.#reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    const backoff = this.backoff;
    if (backoff.attempts >= this.#reconnectionAttempts) {
      backoff.reset();
      this._emit("reconnect_failed");
      return;
    }
    this._reconnecting = true;
    const timers = this.opts.timers;
    const timer = timers.setTimeout(
      () => {
        // A listener of reconnect_attempt may call disconnect().
        if (!this.#skipReconnect) this._emit("reconnect_attempt", backoff.attempts);
        if (!this.#skipReconnect)
          this.open((err) => {
            const attempts = backoff.attempts;
            this._reconnecting = false;
            if (err) {
              // As socket.io-client: the next attempt is scheduled (or `reconnect_failed` emitted) before
              // `reconnect_error`.
              this.#reconnect();
              this._emit("reconnect_error", err);
            } else {
              backoff.reset();
              this._emit("reconnect", attempts);
            }
          });
      },
      // A server may ask for a longer wait (closing gracefully, or refusing at a limit): the engine knows it.
      Math.max(backoff.duration(), this.engine!.retryAfter),
    );
    this.#subs.push(() => timers.clearTimeout(timer));
  }
}
