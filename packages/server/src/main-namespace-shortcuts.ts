// The server's shortcuts to its main namespace "/": `io.emit`, `io.to(room)`, `io.fetchSockets()`…
// are `io.sockets.emit`, `io.sockets.to(room)`… as with socket.io.
import type { Room, SocketId } from "./adapter.js";
import type {
  BroadcastAckEventNames,
  BroadcastEventNames,
  BroadcastOperator,
  RemoteSocket,
} from "./broadcast-operator.js";
import type { Namespace, NamespaceMiddleware } from "./namespace.js";
import type { Socket } from "./socket.js";
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

export interface ServerReservedEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  connect: (socket: Socket<L, E, S, D>) => void;
  connection: (socket: Socket<L, E, S, D>) => void;
  // biome-ignore lint/suspicious/noExplicitAny: any typing
  new_namespace: (nsp: Namespace<any, any, any, any>) => void;
  /** An exception thrown by application code (a listener or middleware); never thrown into the engine. */
  error: (err: unknown) => void;
}

/** The part of the server's API that is its main namespace's. */
export abstract class MainNamespaceShortcuts<
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
  abstract readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

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
  override emit<Ev extends BroadcastEventNames<EmitEvents, false>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.sockets.emit(ev, ...args);
  }

  emitWithAck<Ev extends BroadcastAckEventNames<EmitEvents, false>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<EmitEvents, Ev>
  ): Promise<AckResult<EmitEvents, Ev>> {
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
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData, true> {
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
}
