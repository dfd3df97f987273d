// The live dynamic namespaces of a server, counted in one place: created when a client asks for a name a
// parent namespace (`io.of(regex | fn)`) accepts, removed when their last socket leaves (unless
// `cleanupEmptyChildNamespaces` is false), refused past `maxChildNamespaces` so random names from clients
// cannot grow the server's memory without bound.
import { Namespace } from "./namespace.js";
import type { Socket } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/** Settings of the registry, resolved from the server options. */
export interface ChildNamespaceSettings {
  /** Remove a child namespace once it has no socket (and no join in progress). */
  cleanup: boolean;
  /** Most child namespaces alive at once, all parents together. */
  max: number;
}

/** Counts the live child namespaces; each child reports when it empties. */
export class ChildNamespaceRegistry {
  readonly settings: ChildNamespaceSettings;
  private live = 0;

  constructor(settings: ChildNamespaceSettings) {
    this.settings = settings;
  }

  /** How many child namespaces are alive. */
  get size(): number {
    return this.live;
  }

  /** Why a new child cannot be created now, or undefined when it can. */
  refusal(): string | undefined {
    if (this.live < this.settings.max) return undefined;
    return `too many dynamic namespaces: maxChildNamespaces (${this.settings.max}) reached`;
  }

  /** @internal */
  added(): void {
    this.live++;
  }

  /** @internal */
  removed(): void {
    this.live--;
  }
}

/**
 * A namespace created for one accepted name of a parent. It calls `onEmpty` when it holds no socket and no
 * join is in progress: after a socket leaves, or after a join that ended without a socket.
 */
export class ChildNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  private readonly onEmpty: (child: Namespace) => void;
  /** Joins between `_add` and their end (connected, refused, or the client gone): not empty meanwhile. */
  private joining = 0;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: a namespace works with any server typing
    server: import("./server.js").Server<any, any, any, any>,
    name: string,
    onEmpty: (child: Namespace) => void,
  ) {
    super(server, name);
    this.onEmpty = onEmpty;
    // First listener of "connect": a join that connected is no longer in progress.
    this.on("connect", () => {
      this.joining--;
    });
  }

  override _add(client: Parameters<Namespace["_add"]>[0], auth: Record<string, unknown>): void {
    this.joining++;
    super._add(client, auth);
  }

  override _refused(): void {
    this.joining--;
    this.checkEmpty();
  }

  override _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    super._remove(socket);
    this.checkEmpty();
  }

  private checkEmpty(): void {
    if (this.sockets.size === 0 && this.joining === 0) this.onEmpty(this as unknown as Namespace);
  }
}
