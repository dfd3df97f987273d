import { EventEmitter } from "node:events";
import type { Adapter, Room, SocketId } from "./adapter.js";
import {
  type BroadcastAckEventNames,
  type BroadcastEventNames,
  BroadcastOperator,
  type RemoteSocket,
} from "./broadcast-operator.js";
import type { Client } from "./client.js";
import { SERVER_SIDE_RESERVED } from "./disconnect-reason.js";
import { ExactlyOnceSessions } from "./exactly-once-session.js";
import type { Server } from "./server.js";
import { type PreviousSession, Socket } from "./socket.js";
import {
  type AckResult,
  type DecorateAcknowledgementsWithMultipleResponses,
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventParamsWithoutAck,
  type EventsMap,
  StrictEventEmitter,
} from "./typed-events.js";
import { debug } from "./debug.js";

const emitLocal = EventEmitter.prototype.emit;

/** Namespace middleware: `next()` admits the socket, `next(err)` refuses it with CONNECT_ERROR. */
export type NamespaceMiddleware<Socket> = (socket: Socket, next: (err?: ExtendedError) => void) => void;

/** An error whose `data` travels to the client with the CONNECT_ERROR (`err.data` there). */
export interface ExtendedError extends Error {
  data?: unknown;
}

export interface NamespaceReservedEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  connect: (socket: Socket<L, E, S, D>) => void;
  connection: (socket: Socket<L, E, S, D>) => void;
  /** On the main namespace: a dynamic namespace was created. */
  // biome-ignore lint/suspicious/noExplicitAny: any typing
  new_namespace: (nsp: Namespace<any, any, any, any>) => void;
}

/**
 * A communication channel multiplexed over one connection: its own sockets, middlewares, rooms
 * and adapter. `io.of("/admin")`.
 */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends StrictEventEmitter<
  ServerSideEvents,
  NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
> {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a namespace works with any server typing
  readonly server: Server<any, any, any, any>;
  /** Connected sockets of this server, by id. */
  readonly sockets: Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Map();
  adapter!: Adapter;
  /** @internal */
  _fns: NamespaceMiddleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>[] = [];
  private ids = 0;
  private exactlyOnce: ExactlyOnceSessions | undefined;

  // biome-ignore lint/suspicious/noExplicitAny: see `server`
  constructor(server: Server<any, any, any, any>, name: string) {
    super();
    this.server = server;
    this.name = name;
    this._initAdapter();
  }

  protected override onListenerRejection(err: unknown): void {
    this.server._reportError(err);
  }

  /** @internal (Re)creates the adapter from the server's `adapter` option. */
  _initAdapter(): void {
    this.adapter = new this.server._adapterConstructor(this as unknown as Namespace);
    try {
      const init = this.adapter.init();
      if (init instanceof Promise) init.catch((err) => this.server._reportError(err));
    } catch (err) {
      this.server._reportError(err);
    }
  }

  /** @internal Acknowledgement ids, shared by this namespace's sockets and broadcasts. */
  _nextAckId(): number {
    const id = this.ids;
    this.ids = id >= Number.MAX_SAFE_INTEGER ? 0 : id + 1;
    return id;
  }

  /** @internal The exactly-once sessions, created on first use; undefined when the server has them off. */
  _exactlyOnceSessions(): ExactlyOnceSessions | undefined {
    const limits = this.server._exactlyOnce;
    const recovery = this.server._recovery;
    if (!limits || !recovery) return undefined;
    this.exactlyOnce ??= new ExactlyOnceSessions(
      limits,
      this.server._clock,
      recovery.maxDisconnectionDuration,
      recovery.now,
      this.server._counters,
    );
    return this.exactlyOnce;
  }

  /** Adds a middleware run for every socket connecting to this namespace. */
  use(fn: NamespaceMiddleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this._fns.push(fn);
    return this;
  }

  /** An operator with no rooms, exceptions or flags (they share the operator's empty defaults). */
  private operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter);
  }

  /** Targets members of `room`: one operator, its rooms a new Set (the hot path of `io.to(room).emit`). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return BroadcastOperator.forRooms<EmitEvents, SocketData>(this.adapter, room);
  }

  /** Alias of {@link to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Excludes members of `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().except(room);
  }

  /** Emits to every socket of the namespace. */
  override emit<Ev extends BroadcastEventNames<EmitEvents, false>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.operator().emit(ev, ...args);
  }

  /** Emits to every socket and resolves with all acknowledgements. */
  emitWithAck<Ev extends BroadcastAckEventNames<EmitEvents, false>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<EmitEvents, Ev>
  ): Promise<AckResult<EmitEvents, Ev>> {
    return this.operator().emitWithAck(ev, ...args);
  }

  /** `emit("message", ...args)`. */
  send(...args: EventParams<EmitEvents, "message">): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().compress(compress);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().local;
  }

  timeout(
    ms: number,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData, true> {
    return this.operator().timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.operator().allSockets();
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.operator().fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.operator().socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.operator().socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.operator().disconnectSockets(close);
  }

  /**
   * Emits to the other servers of the cluster (they receive it as a namespace event). A function
   * as last argument collects their acknowledgements: `(err, responses)`.
   * @throws Error when `ev` is a reserved event name.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): true {
    if (SERVER_SIDE_RESERVED.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    this.adapter.serverSideEmit([ev, ...args]);
    return true;
  }

  /**
   * Like {@link serverSideEmit}; resolves with the other servers' responses. Rejects when a server
   * did not answer in time; the error's `responses` holds the answers that did arrive.
   */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<ServerSideEvents, Ev>
  ): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const ack = (err: Error | null, responses: unknown[]) =>
        err ? reject(Object.assign(err, { responses })) : resolve(responses);
      (this.serverSideEmit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args, ack);
    });
  }

  /**
   * @internal An event from another server (called by cluster adapters). Listeners of the
   * namespace get it; for the main namespace, `io.on(event)` listeners too (as in Socket.IO, where
   * `io.on` mirrors `io.of("/").on` for server-side events). An acknowledgement function at the end
   * of `args` is shared: the first listener to call it answers.
   */
  _onServerSideEmit(args: unknown[]): void {
    const ev = args[0];
    // A reserved name would fire the library's own events (`connection` with a bogus socket, …).
    if (typeof ev !== "string" || SERVER_SIDE_RESERVED.has(ev)) return;
    const rest = args.slice(1);
    try {
      super.emit(ev, ...rest);
    } catch (err) {
      this.server._reportError(err);
    }
    if (this.server.sockets !== (this as unknown)) return;
    try {
      emitLocal.call(this.server, ev, ...rest);
    } catch (err) {
      this.server._reportError(err);
    }
  }

  /** @internal A client asks to join: restore or create its socket, run middlewares, connect. */
  _add(client: Client, auth: Record<string, unknown>): void {
    const recovery = this.server._recovery;
    // Exactly-once is asked for in the CONNECT payload, like `pid`: not part of the application's auth.
    const exactlyOnce = this.server._exactlyOnce !== undefined && auth.exactlyOnce === true;
    if (exactlyOnce) {
      auth = { ...auth };
      delete auth.exactlyOnce;
    }
    const pid = auth.pid;
    if (exactlyOnce && typeof pid === "string") this._exactlyOnceSessions()?.supersede(pid);
    if (recovery && typeof pid === "string") {
      this.server._counters.recoveryAttempts++;
      const offset = typeof auth.offset === "string" ? auth.offset : undefined;
      const cleanAuth = { ...auth };
      delete cleanAuth.pid;
      delete cleanAuth.offset;
      Promise.resolve()
        .then(() => this.adapter.restoreSession(pid, offset))
        .catch(() => null)
        .then((session) => {
          if (!client._isOpen()) return this._refused();
          if (!session) return this.admit(new Socket(this, client, cleanAuth, undefined, exactlyOnce), false);
          const previous: PreviousSession = { ...session, missedPackets: session.missedPackets };
          this.admit(new Socket(this, client, cleanAuth, previous, exactlyOnce), recovery.skipMiddlewares);
        });
      return;
    }
    this.admit(new Socket(this, client, auth, undefined, exactlyOnce), false);
  }

  private admit(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    skipMiddlewares: boolean,
  ): void {
    if (skipMiddlewares) {
      socket.client._settled(this.name);
      this.doConnect(socket);
      return;
    }
    this.runMiddlewares(socket, (err) => {
      if (!socket.client._isOpen()) {
        socket._discard();
        return this._refused();
      }
      socket.client._settled(this.name);
      if (!err) {
        this.doConnect(socket);
        return;
      }
      socket._discard();
      socket._connectError(err);
      this._refused();
    });
  }

  private runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    done: (err?: ExtendedError) => void,
  ): void {
    const fns = this._fns.slice();
    if (fns.length === 0) {
      done();
      return;
    }
    let i = 0;
    const run = (): void => {
      const fn = fns[i]!;
      let called = false;
      const next = (err?: ExtendedError) => {
        if (called) return;
        called = true;
        if (err) done(toError(err));
        else if (++i === fns.length) done();
        else run();
      };
      try {
        const result: unknown = fn(socket, next);
        // An async middleware that rejects refuses the socket instead of crashing the process.
        if (result instanceof Promise) result.catch((err: unknown) => next(toError(err)));
      } catch (err) {
        next(toError(err));
      }
    };
    run();
  }

  private doConnect(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.set(socket.id, socket);
    socket.client._addSocket(socket as unknown as Socket);
    socket._onconnect();
    if (socket.recovered) this.server._counters.recoverySuccesses++;
    if (debug.enabled) logConnect(socket);
    try {
      this.emitReserved("connect", socket);
      this.emitReserved("connection", socket);
      // `io.on("connection")` is the main namespace's event, as in Socket.IO.
      if (this.name === "/" && this.server.sockets === (this as unknown)) {
        this.server.emitReserved("connect", socket);
        this.server.emitReserved("connection", socket);
      }
    } catch (err) {
      this.server._reportError(err, socket as unknown as Socket);
    }
  }

  /** @internal A join ended without a socket: refused, or its client left meanwhile (children clean up). */
  _refused(): void {}

  /** @internal */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
  }
}

function logConnect(socket: Socket): void {
  const how = socket.recovered ? "recovered" : "connected";
  debug.log(
    "socket %s %s to %s on %s (%s)",
    socket.id,
    how,
    socket.nsp.name,
    socket.conn.transport.name,
    socket.client.id,
  );
}

function toError(err: unknown): ExtendedError {
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : "middleware error");
}
