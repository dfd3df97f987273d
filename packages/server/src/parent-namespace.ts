// Dynamic namespaces: `io.of(/^\/team-\d+$/)` or `io.of((name, auth, next) => next(null, ok))`.
// Each matching name gets a child namespace sharing the parent's middlewares and listeners; a
// broadcast on the parent reaches every child.
import type { Packet } from "@volley/protocol";
import { Adapter, type BroadcastOptions, type Room, type SocketDetails, type SocketId } from "./adapter.js";
import { ChildNamespace } from "./child-namespaces.js";
import { Namespace } from "./namespace.js";
import type { Socket } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/** Decides whether a namespace name is served: `next(null, true)` to accept. */
export type ParentNspNameMatchFn = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, success: boolean) => void,
) => void;

let counter = 0;

export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> = new Set();

  // biome-ignore lint/suspicious/noExplicitAny: a namespace works with any server typing
  constructor(server: import("./server.js").Server<any, any, any, any>) {
    super(server, `/_${counter++}`);
  }

  override _initAdapter(): void {
    this.adapter = new ParentAdapter(this as unknown as Namespace);
  }

  /**
   * @internal Creates the child namespace for an accepted name (the caller checked
   * `maxChildNamespaces`). It is removed again when it empties, unless `cleanupEmptyChildNamespaces` is off.
   */
  _createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const registry = this.server._childNamespaces;
    const child = new ChildNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
      this.server,
      name,
      (empty) => this.dropChild(empty),
    );
    child._fns = this._fns; // shared: middlewares added later apply to existing children too
    for (const listener of this.listeners("connect")) child.on("connect", listener as never);
    for (const listener of this.listeners("connection")) child.on("connection", listener as never);
    this.children.add(child);
    registry.added();
    this.server._nsps.set(name, child);
    this.server.sockets.emitReserved("new_namespace", child as unknown as Namespace);
    return child;
  }

  /** An empty child leaves the server (its adapter closes) when cleanup is on. */
  private dropChild(child: Namespace): void {
    const server = this.server;
    if (!server._childNamespaces.settings.cleanup || server._nsps.get(child.name) !== child) return;
    this.children.delete(
      child as unknown as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    );
    server._nsps.delete(child.name);
    server._childNamespaces.removed();
    Promise.resolve()
      .then(() => child.adapter.close())
      .catch((err) => server._reportError(err));
  }
}

/** Fans every operation out to the children's adapters. */
class ParentAdapter extends Adapter {
  private get childAdapters(): Adapter[] {
    const out: Adapter[] = [];
    for (const child of (this.nsp as unknown as ParentNamespace).children) out.push(child.adapter);
    return out;
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const adapter of this.childAdapters) adapter.broadcast({ ...packet }, opts);
  }

  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    let total = 0;
    for (const adapter of this.childAdapters) {
      adapter.broadcastWithAck({ ...packet }, opts, (n) => (total += n), ack);
    }
    clientCountCallback(total);
  }

  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const out = new Set<SocketId>();
    for (const adapter of this.childAdapters) for (const id of await adapter.sockets(rooms)) out.add(id);
    return out;
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<Array<Socket | SocketDetails>> {
    const out: Array<Socket | SocketDetails> = [];
    for (const adapter of this.childAdapters) out.push(...(await adapter.fetchSockets(opts)));
    return out;
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const adapter of this.childAdapters) adapter.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const adapter of this.childAdapters) adapter.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const adapter of this.childAdapters) adapter.disconnectSockets(opts, close);
  }
}
