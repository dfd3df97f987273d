import { randomBytes } from "node:crypto";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import {
  type Clock,
  EngineServer,
  type EngineServerOptions,
  type HttpHardeningOptions,
  hardenHttpServer,
} from "@volley/engine";
import {
  type DecoderOptions,
  Encoder,
  type EncoderLike,
  type Packet,
  type Parser,
  parser,
} from "@volley/protocol";
import { Adapter, type AdapterConstructor, type Room, type SocketId } from "./adapter.js";
import type { BroadcastOperator, RemoteSocket } from "./broadcast-operator.js";
import { ChildNamespaceRegistry } from "./child-namespaces.js";
import { Client } from "./client.js";
import type { EngineSession, PreparedPacket } from "./engine-contract.js";
import { type ExtendedError, Namespace, type NamespaceMiddleware } from "./namespace.js";
import { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import { type EventRateLimitOptions, type EventRateSettings, resolveEventRate } from "./rate-limiter.js";
import { type CloseOptions, closeGracefully, type GracefulCloseOptions } from "./graceful-close.js";
import { ClientBundle } from "./serve-client.js";
import type { Socket } from "./socket.js";
import type {
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventParamsWithoutAck,
  EventsMap,
} from "./typed-events.js";
import { StrictEventEmitter } from "./typed-events.js";

/** Connection-state recovery: a client that loses its connection gets its state and missed packets back. */
export interface ConnectionStateRecoveryOptions {
  /** How long a disconnected client's session and missed packets are kept, ms. Default 120_000 (2 min). */
  maxDisconnectionDuration?: number;
  /** Skip namespace middlewares for a restored socket. Default true. */
  skipMiddlewares?: boolean;
  /** Most packets kept per namespace for replay. Default 10_000. */
  maxPackets?: number;
  /** Most bytes (encoded) kept per namespace for replay. Default 16 MiB. */
  maxBytes?: number;
  /** Clock used for expiry, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Options of {@link Server}: Socket.IO's plus every option of the engine. */
export interface ServerOptions extends Omit<EngineServerOptions, "path" | "connectTimeout"> {
  /** Path the server answers under. Default "/socket.io". */
  path?: string;
  /** Serve the browser client at `<path>/socket.io.js`, `.min.js` and `.esm.min.js`. Default true. */
  serveClient?: boolean;
  /** Milliseconds a new connection may take to join a namespace before it is closed. Default 45_000. */
  connectTimeout?: number;
  /** Adapter class, one instance per namespace. Default the in-memory {@link Adapter}. */
  adapter?: AdapterConstructor;
  /** Packet codec. Default the `@volley/protocol` parser. */
  parser?: Parser;
  /** Limits of the packet decoder (`maxAttachments`, `maxAckId`). Default `@volley/protocol`'s. */
  decoder?: DecoderOptions;
  /** Enables connection-state recovery (`true` = defaults). Default off. */
  connectionStateRecovery?: ConnectionStateRecoveryOptions | boolean;
  /**
   * Remove a dynamic child namespace (created by `io.of(regex | fn)`) when its last socket leaves or its
   * only join is refused. Default `true` (Socket.IO's default is `false`): names chosen by clients must
   * not stay in memory after the clients leave.
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Most dynamic child namespaces alive at once (all parent namespaces together). A client asking for a new
   * name beyond it gets a CONNECT_ERROR `too many dynamic namespaces: maxChildNamespaces (N) reached`; names
   * already alive stay joinable. Default 1000.
   */
  maxChildNamespaces?: number;
  /**
   * Per-socket incoming event rate (a token bucket on the `clock`), or `false` for none. Default
   * `{ rate: 100, burst: 200, onExceeded: "disconnect" }`; see {@link EventRateLimitOptions}.
   */
  eventRateLimit?: EventRateLimitOptions | false;
  /**
   * Timeouts and the connection cap of the http.Server that Volley creates itself (`new Server(port)`,
   * `io.listen(port)`); servers you pass in are left as they are. Defaults: headersTimeout 10 s,
   * requestTimeout 30 s, keepAliveTimeout 5 s, maxConnections 100,000 (see `hardenHttpServer` in
   * `@volley/engine`). Slow clients (slowloris) are cut with 408 at the header timeout.
   */
  httpLimits?: HttpHardeningOptions;
}

/** Resolved recovery settings. @internal */
export interface RecoverySettings {
  maxDisconnectionDuration: number;
  skipMiddlewares: boolean;
  maxPackets: number;
  maxBytes: number;
  now: () => number;
}

export interface ServerReservedEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  connect: (socket: Socket<L, E, S, D>) => void;
  connection: (socket: Socket<L, E, S, D>) => void;
  // biome-ignore lint/suspicious/noExplicitAny: any typing
  new_namespace: (nsp: Namespace<any, any, any, any>) => void;
  /** An exception thrown by application code (a listener or middleware); never thrown into the engine. */
  error: (err: unknown) => void;
}

// Ours; everything else goes to the engine. (connectTimeout is Socket.IO's: time to join a namespace.)
const SERVER_ONLY_OPTIONS = [
  "path",
  "serveClient",
  "connectTimeout",
  "adapter",
  "parser",
  "decoder",
  "connectionStateRecovery",
  "cleanupEmptyChildNamespaces",
  "maxChildNamespaces",
  "eventRateLimit",
  "httpLimits",
] as const;

type AttachTarget = HttpServer | HttpsServer | Http2SecureServer;

/** A broadcast encoded once: the engine's prepared packets and their total size. @internal */
export interface PreparedBroadcast {
  packets: PreparedPacket[];
  bytes: number;
}

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
> extends StrictEventEmitter<
  ServerSideEvents,
  ServerReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
> {
  /** The main namespace, "/". */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The Engine.IO server. */
  readonly engine: EngineServer;
  /** The http server this server is attached to, if any. */
  httpServer: AttachTarget | undefined;
  /** @internal */
  readonly _nsps: Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Map();
  /** @internal */
  readonly _encoder: EncoderLike;
  /** @internal */
  readonly _parser: Parser;
  /** @internal */
  readonly _decoderOptions: DecoderOptions | undefined;
  /** @internal */
  readonly _adapterConstructor: AdapterConstructor;
  /** @internal */
  readonly _recovery: RecoverySettings | undefined;
  /** @internal */
  readonly _connectTimeout: number;
  /** @internal The clock of every server-side timer: the engine's (`clock` option). */
  readonly _clock: Clock;
  /** @internal Per-socket incoming event rate; undefined when off. */
  readonly _eventRate: EventRateSettings | undefined;
  /** @internal The live dynamic child namespaces and their limit. */
  readonly _childNamespaces: ChildNamespaceRegistry;
  /**
   * @internal Whether a broadcast flagged `compress(true)` / `compress(false)` must be sent to a
   * websocket connection on its own instead of as the shared frame. The default WebSocket layer's
   * shared frames are never deflated, so only `true` needs it (when permessage-deflate is on); a
   * custom `wsEngine` may deflate what it is given, so there `false` needs it too.
   */
  readonly _perConnectionCompress: { readonly on: boolean; readonly off: boolean };
  private readonly parentNsps: Map<
    ParentNspNameMatchFn,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  > = new Map();
  private readonly clientPath: string;
  private readonly bundle: ClientBundle | undefined;
  private closing: Promise<void> | undefined;
  private ownHttpServer = false;
  private readonly httpLimits: HttpHardeningOptions | undefined;
  private refusingConnections = false;

  constructor(opts?: ServerOptions);
  constructor(srv: AttachTarget | number, opts?: ServerOptions);
  constructor(srv?: AttachTarget | number | ServerOptions, opts: ServerOptions = {}) {
    super();
    if (srv !== undefined && typeof srv === "object" && !isHttpServer(srv)) {
      opts = srv as ServerOptions;
      srv = undefined;
    }
    const path = normalisePath(opts.path ?? "/socket.io");
    this.clientPath = path;
    this._connectTimeout = positive("connectTimeout", opts.connectTimeout, 45_000);
    this._parser = opts.parser ?? parser;
    this._encoder = opts.parser ? new opts.parser.Encoder() : new Encoder();
    this._decoderOptions = opts.decoder;
    this._adapterConstructor = opts.adapter ?? Adapter;
    this._recovery = resolveRecovery(opts.connectionStateRecovery);
    this._childNamespaces = new ChildNamespaceRegistry({
      cleanup: opts.cleanupEmptyChildNamespaces !== false,
      max: positive("maxChildNamespaces", opts.maxChildNamespaces, 1000),
    });
    const deflate = opts.perMessageDeflate !== undefined && opts.perMessageDeflate !== false;
    this._perConnectionCompress = { on: deflate, off: deflate && opts.wsEngine !== undefined };
    const engineOpts: Record<string, unknown> = { ...opts };
    for (const key of SERVER_ONLY_OPTIONS) delete engineOpts[key];
    this.engine = new EngineServer({ ...(engineOpts as EngineServerOptions), path: `${path}/` });
    this._clock = this.engine.options.clock;
    this._eventRate = resolveEventRate(opts.eventRateLimit, this._clock);
    this.httpLimits = opts.httpLimits;
    this.engine.on("connection", (session: EngineSession) => this.onconnection(session));
    this.bundle = opts.serveClient === false ? undefined : new ClientBundle(path);
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    if (srv !== undefined) this.attach(srv as AttachTarget | number);
  }

  /** Attaches to an http server, or creates one listening on `port` (127.0.0.1 not implied: all interfaces, as Node does). */
  attach(srv: AttachTarget | number, opts?: { host?: string }): this {
    if (this.httpServer) throw new Error("server is already attached to an http server");
    if (typeof srv === "number") {
      // A server of our own faces the public: tight header/request timeouts and a connection cap.
      const own = hardenHttpServer(createServer(), this.httpLimits);
      this.ownHttpServer = true;
      this.attachTo(own);
      own.listen(srv, opts?.host);
      return this;
    }
    this.attachTo(srv);
    return this;
  }

  /** Alias of {@link attach}. */
  listen(srv: AttachTarget | number, opts?: { host?: string }): this {
    return this.attach(srv, opts);
  }

  private attachTo(srv: AttachTarget): void {
    this.httpServer = srv;
    this.engine.attach(srv as HttpServer);
    const bundle = this.bundle;
    if (!bundle) return;
    // Serve the bundle before the engine sees the request (its files live under the engine's path).
    const server = srv as HttpServer;
    const listeners = server.listeners("request") as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (bundle.handle(req, res)) return;
      for (const listener of listeners) listener.call(server, req, res);
    });
  }

  /** The path the server answers under. */
  path(): string {
    return this.clientPath;
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
    if (typeof name === "function" || name instanceof RegExp) {
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this);
      const regex = name instanceof RegExp ? name : undefined;
      const match: ParentNspNameMatchFn = regex
        ? (nsp, _auth, next) => next(null, regex.test(nsp))
        : (name as ParentNspNameMatchFn);
      this.parentNsps.set(match, parent);
      if (fn) parent.on("connect", fn);
      return parent;
    }
    if (typeof name !== "string")
      throw new TypeError("namespace name must be a string, a RegExp or a function");
    if (name.charAt(0) !== "/") name = `/${name}`;
    let nsp = this._nsps.get(name);
    if (!nsp) {
      nsp = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, name);
      this._nsps.set(name, nsp);
      if (name !== "/") this.sockets.emitReserved("new_namespace", nsp);
    }
    if (fn) nsp.on("connect", fn);
    return nsp;
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
    const matchers = [...this.parentNsps.keys()];
    let i = 0;
    const next = (): void => {
      if (i === matchers.length) {
        done(false);
        return;
      }
      const match = matchers[i++]!;
      let answered = false;
      const answer = (err: Error | null, allow: boolean) => {
        if (answered) return;
        answered = true;
        if (err || !allow) {
          next();
          return;
        }
        const existing = this._nsps.get(name);
        if (existing) return done(existing);
        const refusal = this._childNamespaces.refusal();
        if (refusal) return done(false, refusal);
        done(this.parentNsps.get(match)!._createChild(name));
      };
      try {
        match(name, auth, answer);
      } catch (err) {
        // A bug in the matcher: reported, and the name is not served by it.
        this._reportError(err);
        answer(err as Error, false);
      }
    };
    next();
  }

  /** Adds a middleware to the main namespace. */
  use(fn: NamespaceMiddleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.sockets.use(fn);
    return this;
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits to every socket of the main namespace. */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<EmitEvents, Ev>
  ): Promise<unknown> {
    return this.sockets.emitWithAck(ev, ...args);
  }

  send(...args: EventParams<EmitEvents, "message">): this {
    this.sockets.send(...args);
    return this;
  }

  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): true {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<ServerSideEvents, Ev>
  ): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  timeout(
    ms: number,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
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
    if (!this.closing) this.closing = this.doClose(graceful || undefined);
    if (fn) this.closing.then(() => fn(), fn);
    return this.closing;
  }

  private async doClose(graceful: GracefulCloseOptions | true | undefined): Promise<void> {
    if (graceful) {
      this.refusingConnections = true;
      const clients = new Set<Client>();
      for (const nsp of this._nsps.values())
        for (const socket of nsp.sockets.values()) clients.add(socket.client);
      try {
        await closeGracefully([...clients], graceful, this._clock);
      } catch (err) {
        this._reportError(err);
      }
    }
    const adapters: Array<Promise<void> | void> = [];
    for (const nsp of this._nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket._onclose("server shutting down");
      try {
        adapters.push(nsp.adapter.close());
      } catch (err) {
        this._reportError(err);
      }
    }
    await Promise.allSettled(adapters);
    await this.engine.close();
    const srv = this.httpServer as HttpServer | undefined;
    if (!srv?.listening) return;
    if (!this.ownHttpServer) {
      // The application's server may hold its own long requests: close it, do not wait for them.
      srv.close();
      return;
    }
    await new Promise<void>((resolve) => {
      srv.close(() => resolve());
      srv.closeAllConnections();
    });
  }

  protected override onListenerRejection(err: unknown): void {
    this._reportError(err);
  }

  /** @internal Encodes a packet once and prepares each chunk for every transport. */
  _prepare(packet: Packet): PreparedBroadcast {
    const chunks = this._encoder.encode(packet);
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
      packets.push(this.engine.prepare(data));
    }
    return { packets, bytes };
  }

  /** @internal Random 20-character ids (120 bits) for sockets and private sessions. */
  _generateId(): string {
    return randomBytes(15).toString("base64url");
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
    if (this.refusingConnections) {
      session.close();
      return;
    }
    new Client(this, session);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

function isHttpServer(value: object): boolean {
  return (
    typeof (value as { listen?: unknown }).listen === "function" &&
    typeof (value as { on?: unknown }).on === "function"
  );
}

function normalisePath(path: string): string {
  if (typeof path !== "string" || !path.startsWith("/"))
    throw new TypeError(`option path must start with "/" (got ${JSON.stringify(path)})`);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive finite number (got ${String(value)})`);
  }
  return value;
}

function resolveRecovery(
  opt: ConnectionStateRecoveryOptions | boolean | undefined,
): RecoverySettings | undefined {
  if (!opt) return undefined;
  const o = opt === true ? {} : opt;
  return {
    maxDisconnectionDuration: positive("maxDisconnectionDuration", o.maxDisconnectionDuration, 120_000),
    skipMiddlewares: o.skipMiddlewares ?? true,
    maxPackets: positive("maxPackets", o.maxPackets, 10_000),
    maxBytes: positive("maxBytes", o.maxBytes, 16 * 1024 * 1024),
    now: o.now ?? Date.now,
  };
}

export type { ExtendedError };
