// The server's Engine.IO server and what derives from its options: the clock of every server-side
// timer, the per-socket event rate, and how broadcasts are compressed. The engine is built again when
// `attach()`/`listen()`/`path()` change its options, unless the application already holds it
// (`io.engine`, `io.bind()`), in which case replacing it behind the application's back is refused.
import { type Clock, EngineServer, type EngineServerOptions } from "@volley/engine";
import type { EncoderLike, Packet } from "@volley/protocol";
import type { EngineSession, PreparedPacket } from "./engine-contract.js";
import { type EventRateLimitOptions, type EventRateSettings, resolveEventRate } from "./rate-limiter.js";

/** A broadcast encoded once: the engine's prepared packets and their total size. @internal */
export interface PreparedBroadcast {
  packets: PreparedPacket[];
  bytes: number;
}

/** Whether a broadcast flagged `compress(true)` / `compress(false)` goes to a websocket on its own. */
export interface PerConnectionCompress {
  readonly on: boolean;
  readonly off: boolean;
}

/** @internal */
export class ServerEngine {
  /** The engine in use. */
  current!: EngineServer;
  /** The engine's options (without `path`), kept to build the engine again (attach options, restart). */
  options: EngineServerOptions;
  /** The clock of every server-side timer: the engine's (`clock` option). */
  clock!: Clock;
  /** Per-socket incoming event rate; undefined when off. */
  eventRate: EventRateSettings | undefined;
  /**
   * Whether a broadcast flagged `compress(true)` / `compress(false)` must be sent to a websocket
   * connection on its own instead of as the shared frame. With permessage-deflate and
   * `serverNoContextTakeover` the default WebSocket layer deflates a broadcast once for every recipient
   * (shared compression), so neither needs it; otherwise its shared frames are never deflated, so
   * `true` needs it; a custom `wsEngine` may deflate what it is given, so there `false` needs it too.
   */
  perConnectionCompress!: PerConnectionCompress;
  /** The `eventRateLimit` option the event rate is resolved from (again for every new engine). */
  eventRateOption: EventRateLimitOptions | false | undefined;
  /** Broadcasts are deflated once for all recipients unless flagged `compress(false)`. */
  private sharedCompression = false;
  /** The application has held the engine (or bound its own): it is not replaced behind its back. */
  private shared = false;

  constructor(
    options: EngineServerOptions,
    path: string,
    eventRateOption: EventRateLimitOptions | false | undefined,
    private readonly onConnection: (session: EngineSession) => void,
  ) {
    this.options = options;
    this.eventRateOption = eventRateOption;
    this.use(this.build(options, path));
  }

  /** The engine, for the application: from now on it is not replaced (see {@link checkReplaceable}). */
  share(): EngineServer {
    this.shared = true;
    return this.current;
  }

  /** Uses the application's engine instead of the server's own. */
  bind(engine: EngineServer): void {
    this.use(engine);
    this.shared = true;
  }

  /** Makes an engine, validating the settings that derive from its options before anything changes. */
  build(
    options: EngineServerOptions,
    path: string,
    eventRate: EventRateLimitOptions | false | undefined = this.eventRateOption,
  ): EngineServer {
    const engine = new EngineServer({ ...options, path: `${path}/` });
    // Validated now, so that a bad option leaves the server as it was.
    resolveEventRate(eventRate, engine.options.clock);
    return engine;
  }

  /** Switches to `engine`: new connections come from it, and the derived settings follow its options. */
  use(engine: EngineServer): void {
    this.current?.off("connection", this.onConnection);
    this.current = engine;
    engine.on("connection", this.onConnection);
    const options = engine.options;
    this.clock = options.clock;
    this.eventRate = resolveEventRate(this.eventRateOption, this.clock);
    const deflate = options.perMessageDeflate !== undefined && options.perMessageDeflate !== false;
    this.sharedCompression =
      options.wsEngine === undefined &&
      typeof options.perMessageDeflate === "object" &&
      options.perMessageDeflate.serverNoContextTakeover === true;
    this.perConnectionCompress = {
      on: deflate && !this.sharedCompression,
      off: deflate && options.wsEngine !== undefined,
    };
  }

  /**
   * What `attach()` options need of the engine, checked before anything changes: a new one after a
   * close, for a new path, or for engine options. Returns its merged options then, else undefined.
   * @throws TypeError when a new engine is needed but the application holds the current one.
   */
  planAttach(
    engineOptions: EngineServerOptions,
    pathChanged: boolean,
    restart: boolean,
  ): EngineServerOptions | undefined {
    const options = { ...this.options, ...engineOptions };
    const rebuild = restart || pathChanged || Object.keys(engineOptions).length > 0;
    if (rebuild && !restart) this.checkReplaceable("attach()/listen() options for the engine");
    return rebuild ? options : undefined;
  }

  /** Takes `attach()` options: the engine {@link planAttach} asked for (`options`), the event rate option. */
  applyAttach(
    options: EngineServerOptions | undefined,
    path: string,
    eventRateLimit: EventRateLimitOptions | false | undefined,
  ): void {
    if (options !== undefined) {
      const engine = this.build(options, path, eventRateLimit);
      // Stored before use(), which derives the event rate from it.
      if (eventRateLimit !== undefined) this.eventRateOption = eventRateLimit;
      this.use(engine);
      this.options = options;
    } else if (eventRateLimit !== undefined) {
      // Same engine: only the event rate follows (resolved first, so a bad option changes nothing).
      this.eventRate = resolveEventRate(eventRateLimit, this.clock);
      this.eventRateOption = eventRateLimit;
    }
  }

  /** @throws TypeError when `what` needs a new engine but the application holds the current one. */
  checkReplaceable(what: string): void {
    if (this.shared) {
      throw new TypeError(
        `${what} need a new engine, but io.engine was already used (or bound): give them to new Server(), or use io.engine after attach()/listen()`,
      );
    }
  }

  /**
   * Encodes a packet once and prepares each chunk for every transport; `compress` is the broadcast's
   * flag (deflated once for all unless false, when the server shares compression).
   */
  prepare(encoder: EncoderLike, packet: Packet, compress: boolean | undefined): PreparedBroadcast {
    const deflate = this.sharedCompression && compress !== false;
    const chunks = encoder.encode(packet);
    const packets: PreparedPacket[] = [];
    let bytes = 0;
    for (const chunk of chunks) {
      const data =
        typeof chunk === "string"
          ? chunk
          : Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytes += data.length;
      packets.push(this.current.prepare(data, deflate));
    }
    return { packets, bytes };
  }
}
