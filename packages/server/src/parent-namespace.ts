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

/** What {@link matchDynamicNamespace} needs from the server. */
export interface DynamicMatchContext<N> {
  /** The namespace already named so, if any. */
  existing(name: string): N | undefined;
  /** Why no new child may be created now (the `maxChildNamespaces` limit), or undefined. */
  refusal(): string | undefined;
  /** Reports an exception thrown by a matcher. */
  report(err: unknown): void;
  /** The namespace serving the name, or `false` (with the CONNECT_ERROR message when one applies). */
  done(nsp: N | false, reason?: string): void;
}

/**
 * Asks the dynamic matchers, in order, whether `name` is served; the first that accepts gets (or
 * creates) the child namespace.
 */
export function matchDynamicNamespace<L extends EventsMap, E extends EventsMap, S extends EventsMap, D>(
  parents: ReadonlyMap<ParentNspNameMatchFn, ParentNamespace<L, E, S, D>>,
  name: string,
  auth: Record<string, unknown>,
  context: DynamicMatchContext<Namespace<L, E, S, D>>,
): void {
  const matchers = [...parents.keys()];
  let i = 0;
  const next = (): void => {
    if (i === matchers.length) {
      context.done(false);
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
      const existing = context.existing(name);
      if (existing) return context.done(existing);
      const refusal = context.refusal();
      if (refusal) return context.done(false, refusal);
      context.done(parents.get(match)!._createChild(name));
    };
    try {
      match(name, auth, answer);
    } catch (err) {
      // A bug in the matcher: reported, and the name is not served by it.
      context.report(err);
      answer(err as Error, false);
    }
  };
  next();
}
