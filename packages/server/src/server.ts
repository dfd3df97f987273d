import { type Clock, type EngineServer, generateSessionId } from "@volley/engine";
import {
  type DecoderOptions,
  Encoder,
  type EncoderLike,
  type Packet,
  type Parser,
  parser,
} from "@volley/protocol";
import { Adapter, type AdapterConstructor } from "./adapter.js";
import { type AttachOptions, engineOptionsOf, resolveAttachOptions } from "./attach-options.js";
import { ChildNamespaceRegistry } from "./child-namespaces.js";
import { Client } from "./client.js";
import type { EngineSession } from "./engine-contract.js";
import type { CloseOptions } from "./graceful-close.js";
import { MainNamespaceShortcuts, type ServerReservedEvents } from "./main-namespace-shortcuts.js";
import { collectMetrics, ServerCounters } from "./metrics.js";
import type { MetricsSnapshot } from "./metrics-snapshot.js";
import type { ExtendedError, Namespace } from "./namespace.js";
import type { ParentNspNameMatchFn } from "./parent-namespace.js";
import { type ExactlyOnceLimits, resolveExactlyOnce } from "./processed-acks.js";
import type { EventRateSettings } from "./rate-limiter.js";
import { type PerConnectionCompress, type PreparedBroadcast, ServerEngine } from "./server-engine.js";
import {
  type ConnectionStateRecoveryOptions,
  isHttpServer,
  normalisePath,
  positive,
  type RecoverySettings,
  resolveRecovery,
  type ServerOptions,
} from "./server-options.js";
import { NamespaceDirectory } from "./server-namespaces.js";
import { type AttachTarget, ServerHttp } from "./server-http.js";
import { ServerShutdown } from "./server-shutdown.js";
import type { Socket } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/**
 * The Socket.IO-compatible server. `new Server(httpServer, opts)`, `new Server(port, opts)` or
 * `new Server(opts)` then `io.listen(port)` / `io.attach(httpServer)`.
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends MainNamespaceShortcuts<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The main namespace, "/". */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The http server this server was last attached to, if any. */
  httpServer: AttachTarget | undefined;
  /** @internal Live namespaces by name (those of {@link namespaces}). */
  readonly _nsps: Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;
  /** @internal */
  readonly _encoder: EncoderLike;
  /** @internal */
  readonly _parser: Parser;
  /** @internal */
  readonly _decoderOptions: DecoderOptions | undefined;
  /** @internal */
  _adapterConstructor: AdapterConstructor;
  /** @internal */
  readonly _recovery: RecoverySettings | undefined;
  /** @internal Bounds of exactly-once sessions; undefined when off (or recovery is). */
  readonly _exactlyOnce: ExactlyOnceLimits | undefined;
  /** @internal */
  _connectTimeout: number;
  /** @internal What the server layer counts (see {@link metrics}). */
  readonly _counters = new ServerCounters();
  /** @internal The live dynamic child namespaces and their limit. */
  readonly _childNamespaces: ChildNamespaceRegistry;
  private readonly directory: NamespaceDirectory<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  private readonly eio: ServerEngine;
  private readonly http: ServerHttp;
  private readonly shutdown = new ServerShutdown({
    namespaces: () => this._nsps.values(),
    clock: () => this._clock,
    closeEngine: () => this.eio.current.close(),
    releaseHttp: () => this.http.release(),
    report: (err) => this._reportError(err),
  });

  constructor(opts?: ServerOptions);
  constructor(srv: AttachTarget | number, opts?: ServerOptions);
  constructor(srv?: AttachTarget | number | ServerOptions, opts: ServerOptions = {}) {
    super();
    if (srv !== undefined && typeof srv === "object" && !isHttpServer(srv)) {
      opts = srv as ServerOptions;
      srv = undefined;
    }
    const path = normalisePath(opts.path ?? "/socket.io");
    this.http = new ServerHttp(opts, path);
    this._connectTimeout = positive("connectTimeout", opts.connectTimeout, 45_000);
    this._parser = opts.parser ?? parser;
    this._encoder = opts.parser ? new opts.parser.Encoder() : new Encoder();
    this._decoderOptions = opts.decoder;
    this._adapterConstructor = opts.adapter ?? Adapter;
    this._recovery = resolveRecovery(opts.connectionStateRecovery);
    const exactlyOnce = resolveExactlyOnce(opts.exactlyOnce, positive);
    this._exactlyOnce = this._recovery && exactlyOnce;
    this._childNamespaces = new ChildNamespaceRegistry({
      cleanup: opts.cleanupEmptyChildNamespaces !== false,
      max: positive("maxChildNamespaces", opts.maxChildNamespaces, 1000),
    });
    this.directory = new NamespaceDirectory(this, {
      childRefusal: () => this._childNamespaces.refusal(),
      report: (err) => this._reportError(err),
    });
    this._nsps = this.directory.byName;
    this.eio = new ServerEngine(engineOptionsOf(opts), path, opts.eventRateLimit, (session) =>
      this.onconnection(session),
    );
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    if (srv !== undefined) this.attach(srv as AttachTarget | number);
  }

  /**
   * The Engine.IO server. Options given to `attach()`/`listen()` or `path()` build a new one before the
   * server is attached: use `io.engine` after those calls (a TypeError says so otherwise).
   */
  get engine(): EngineServer {
    return this.eio.share();
  }

  /** @internal The clock of every server-side timer: the engine's (`clock` option). */
  get _clock(): Clock {
    return this.eio.clock;
  }

  /** @internal Per-socket incoming event rate; undefined when off. */
  get _eventRate(): EventRateSettings | undefined {
    return this.eio.eventRate;
  }

  /** @internal See {@link ServerEngine.perConnectionCompress}. */
  get _perConnectionCompress(): PerConnectionCompress {
    return this.eio.perConnectionCompress;
  }

  /**
   * Attaches to an http server, or creates one listening on `port` (all interfaces unless `opts.host`;
   * other paths get 404). `opts` are the constructor's options and win over them; the engine is built
   * again when they change it. After `close()`, attaching again starts a fresh engine and adapters.
   * @throws TypeError for an option only the constructor takes, or an engine option once `io.engine` was used.
   */
  attach(srv: AttachTarget | number, opts?: AttachOptions): this {
    if (this.shutdown.inProgress) {
      throw new Error("the server is closing: attach()/listen() again once close() has resolved");
    }
    if (this.http.attached) throw new Error("server is already attached to an http server");
    const settings = resolveAttachOptions(opts);
    const restart = this.shutdown.done;
    const path = settings.path === undefined ? this.http.path : normalisePath(settings.path);
    const newEngine = this.eio.planAttach(settings.engine, path !== this.http.path, restart);
    const connectTimeout = positive("connectTimeout", settings.connectTimeout, this._connectTimeout);
    // Everything that may throw is done; now the settings take effect.
    this.eio.applyAttach(newEngine, path, settings.eventRateLimit);
    this._connectTimeout = connectTimeout;
    this.http.configure(settings, newEngine ? path : undefined);
    if (restart) this.reopen();
    if (settings.adapter !== undefined) this.adapter(settings.adapter);
    if (typeof srv === "number") {
      const own = this.http.ownServer();
      this.attachTo(own, true);
      own.listen(srv, settings.host);
      return this;
    }
    this.attachTo(srv, false);
    return this;
  }

  /** Alias of {@link attach}. */
  listen(srv: AttachTarget | number, opts?: AttachOptions): this {
    return this.attach(srv, opts);
  }

  /**
   * Uses `engine` (an `EngineServer` of `@volley/engine`, attached by the application) instead of the
   * server's own. Call it before `attach()`/`listen()`, or instead of them.
   * @throws TypeError when `engine` is not an `EngineServer`.
   */
  bind(engine: EngineServer): this {
    const candidate = engine as Partial<EngineServer> | undefined;
    if (
      typeof candidate?.prepare !== "function" ||
      typeof candidate.on !== "function" ||
      typeof candidate.options?.clock?.setTimeout !== "function"
    ) {
      throw new TypeError("bind() takes an EngineServer of @volley/engine");
    }
    if (this.http.attached)
      throw new Error("bind() must come before attach()/listen(): the engine is attached");
    this.eio.bind(engine);
    return this;
  }

  private attachTo(srv: AttachTarget, own: boolean): void {
    this.httpServer = srv;
    this.http.hold(srv, this.eio.current, () => this.metrics(), own);
  }

  /** After `close()`: accept connections again, with fresh adapters (the closed ones are gone). */
  private reopen(): void {
    this.shutdown.reopen();
    this.directory.renewAdapters();
  }

  /**
   * Every counter since the server started and the gauges now: connections by namespace and
   * transport, handshakes and refusals, upgrades, disconnects by reason, packets, bytes, broadcasts,
   * acks, recovery, slow consumers, buffered bytes, and what cluster adapters report. Plain JSON.
   */
  metrics(): MetricsSnapshot {
    return collectMetrics({
      counters: this._counters,
      engine: this.eio.current,
      namespaces: () => this._nsps.values(),
    });
  }

  /** The path the server answers under. */
  path(): string;
  /**
   * Sets the path (before `attach()`/`listen()`; as socket.io, a trailing "/" is dropped).
   * @throws Error once attached; TypeError once `io.engine` was used.
   */
  path(v: string): this;
  path(v?: string): string | this {
    if (v === undefined) return this.http.path;
    const path = normalisePath(v);
    if (path === this.http.path) return this;
    if (this.http.attached)
      throw new Error("path() cannot change once attached: give it to attach()/listen()");
    this.eio.checkReplaceable("path()");
    this.eio.use(this.eio.build(this.eio.options, path));
    this.http.movePath(path);
    return this;
  }

  /** Whether the browser client is served at `<path>/socket.io.js` & co. */
  serveClient(): boolean;
  /** Serves the browser client, or stops; takes effect at once, attached or not. */
  serveClient(v: boolean): this;
  serveClient(v?: boolean): boolean | this {
    if (v === undefined) return this.http.servesClient;
    this.http.serveClient(v);
    return this;
  }

  /** Milliseconds a new connection may take to join a namespace before it is closed. */
  connectTimeout(): number;
  /** Sets it for connections opened from now on. @throws TypeError unless a positive finite number. */
  connectTimeout(v: number): this;
  connectTimeout(v?: number): number | this {
    if (v === undefined) return this._connectTimeout;
    this._connectTimeout = positive("connectTimeout", v, this._connectTimeout);
    return this;
  }

  /** The adapter class of the namespaces. */
  adapter(): AdapterConstructor;
  /**
   * Sets the adapter class: every namespace gets a new instance at once (as socket.io; the previous
   * ones are closed, their rooms forgotten), so set it before clients connect.
   */
  adapter(v: AdapterConstructor): this;
  adapter(v?: AdapterConstructor): AdapterConstructor | this {
    if (v === undefined) return this._adapterConstructor;
    if (typeof v !== "function") throw new TypeError("adapter() takes an adapter class");
    this._adapterConstructor = v;
    this.directory.replaceAdapters();
    return this;
  }

  /** The namespaces alive now (static ones and dynamic children), read-only: for tools such as an admin view. */
  namespaces(): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] {
    return [...this._nsps.values()];
  }

  /**
   * The namespace `name`, created on first use; a RegExp or function creates namespaces dynamically
   * for each matching name a client asks for.
   */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    return this.directory.of(name, fn);
  }

  /**
   * @internal Asks the dynamic matchers, in order, whether `name` is served; `done(false, reason)` when
   * not (reason: the CONNECT_ERROR message, e.g. the `maxChildNamespaces` limit).
   */
  _checkNamespace(
    name: string,
    auth: Record<string, unknown>,
    done: (
      nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | false,
      reason?: string,
    ) => void,
  ): void {
    this.directory.check(name, auth, done);
  }

  /**
   * Closes the server. Plain `io.close(cb?)` is Socket.IO's: every socket leaves at once with "server
   * shutting down", adapters close, the engine closes its sessions and the http server closes.
   *
   * `io.close({ graceful: true | GracefulCloseOptions }, cb?)` first stops accepting connections, tells each
   * client to come back after a jittered delay within `reconnectWindow` (an Engine.IO noop packet
   * `6{"reconnectAfter":ms}`: the Volley client honours it, official clients ignore it), waits for the
   * acknowledgements in flight (up to `ackTimeout`), closes the connections in batches, then closes as above.
   * Recovery sessions are kept (the reason is recoverable), so clients reconnecting elsewhere recover.
   */
  close(fn?: (err?: Error) => void): Promise<void>;
  close(opts: CloseOptions, fn?: (err?: Error) => void): Promise<void>;
  close(optsOrFn?: CloseOptions | ((err?: Error) => void), maybeFn?: (err?: Error) => void): Promise<void> {
    const fn = typeof optsOrFn === "function" ? optsOrFn : maybeFn;
    const graceful = typeof optsOrFn === "object" ? optsOrFn.graceful : undefined;
    const closing = this.shutdown.close(graceful);
    if (fn) closing.then(() => fn(), fn);
    return closing;
  }

  protected override onListenerRejection(err: unknown): void {
    this._reportError(err);
  }

  /**
   * @internal Encodes a packet once and prepares each chunk for every transport; `compress` is the
   * broadcast's flag (deflated once for all unless false, when the server shares compression).
   */
  _prepare(packet: Packet, compress?: boolean): PreparedBroadcast {
    this._counters.broadcasts++;
    return this.eio.prepare(this._encoder, packet, compress);
  }

  /** @internal Random 20-character ids (120 bits) for sockets and private sessions. */
  _generateId(): string {
    // The engine's: 120 bits from random bytes drawn in batches (a connect storm makes one per socket).
    return generateSessionId();
  }

  /** @internal An exception from application code: to "error" listeners, else a process warning. */
  _reportError(err: unknown, socket?: Socket): void {
    if (this.listenerCount("error") > 0) {
      try {
        this.emitReserved("error", err);
        return;
      } catch {}
    }
    const where = socket ? ` (socket ${socket.id} on ${socket.nsp.name})` : "";
    process.emitWarning(`volley: unhandled error in application code${where}: ${describe(err)}`);
  }

  private onconnection(session: EngineSession): void {
    // A graceful close is under way: new connections are not accepted.
    if (this.shutdown.refusingConnections) {
      session.close();
      return;
    }
    new Client(this, session);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export type {
  AttachOptions,
  ConnectionStateRecoveryOptions,
  ExtendedError,
  PreparedBroadcast,
  RecoverySettings,
  ServerOptions,
  ServerReservedEvents,
};
