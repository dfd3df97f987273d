// A tab's side of the shared connection to one server: picks how to reach the hub (SharedWorker, else a
// leader tab, else a hub of its own), routes the hub's messages to the tab's sockets, and tells them when
// a hub is lost or a new one answers.
import { Emitter } from "@volley/engine/client";
import type { ClientError } from "../errors.js";
import type { ManagerOptions } from "../manager.js";
import type { SocketOptions } from "../socket-api.js";
import type { DefaultEventsMap, EventsMap } from "../typed-events.js";
import { LeaderLink } from "./leader-link.js";
import { LocalLink } from "./local-link.js";
import { cloneableOptions, type HubMessage, randomId, type TabMessage } from "./messages.js";
import { holdTabLock } from "./tab-liveness.js";
import { SharedSocket, type TabPort } from "./tab-socket.js";
import { WorkerLink } from "./worker-link.js";

/** Options of `sharedIo()`: those of `io()` (but `retries`), and where the worker script is. */
export interface SharedOptions extends ManagerOptions, SocketOptions {
  /**
   * The SharedWorker script, same origin as the page. Default `<path>/socket.io.shared-worker.js` on the
   * page's origin, as a Volley server serves it (`path` is the engine path, `/socket.io`).
   */
  workerUrl?: string;
  /**
   * Server emits that ask for an acknowledgement and have not been answered by a tab yet, at most; beyond
   * it the oldest is dropped (the server's own timeout then applies). Default 1000. The first tab's wins.
   */
  maxPendingServerAcks?: number;
}

/** How the tab reaches the hub, whatever the hub's place. */
export interface HubLink {
  send(msg: TabMessage): void;
}

/** What a link reports to its tab. */
export interface LinkHandlers {
  message(msg: HubMessage): void;
  /** The hub died; a new one says `hello` once up. */
  lost(): void;
  /** This kind of link cannot work here (the worker script failed to load): fall back. */
  failed(): void;
}

/** How a tab shares the connection: chosen from what the browser offers. */
export type SharingMode = "worker" | "leader" | "none";

/** The sharing this browser supports, best first. */
export function sharingMode(): SharingMode {
  if (typeof (globalThis as { SharedWorker?: unknown }).SharedWorker === "function") return "worker";
  return canLead() ? "leader" : "none";
}

/** A leader tab needs a BroadcastChannel to reach the others and Web Locks to be elected. */
function canLead(): boolean {
  const g = globalThis as { BroadcastChannel?: unknown; navigator?: { locks?: unknown } };
  return typeof g.BroadcastChannel === "function" && !!g.navigator?.locks;
}

interface TabManagerEvents {
  [event: string]: (...args: never[]) => void;
  /** An emit buffered while disconnected turned out too large when the hub sent it. */
  error: (err: ClientError) => void;
}

export class TabManager extends Emitter<TabManagerEvents> implements TabPort {
  /** This tab's id (per manager). */
  readonly tab = randomId();
  readonly url: string;
  readonly managerOptions: Record<string, unknown>;
  /** How this tab reaches the hub. */
  mode: SharingMode;
  readonly #key: string;
  readonly #opts: SharedOptions;
  #link: HubLink | undefined;
  /** Whether this tab holds its liveness lock. */
  #locked = false;
  /** The hub that answered last; undefined while none is known. */
  #hub: string | undefined;
  readonly #sockets = new Map<string, SharedSocket>();

  /**
   * @param url the server's absolute URL
   * @param key the server's identity (origin and engine path): tabs with the same key share a connection
   */
  constructor(url: string, key: string, opts: SharedOptions = {}) {
    super();
    this.url = url;
    this.#key = key;
    this.#opts = opts;
    this.managerOptions = cloneableOptions(opts);
    this.mode = sharingMode();
    // The hub watches this tab's lock from its `hi` on (a tab gone without `bye` leaves): held first, once
    // for the tab's life whatever link it uses.
    holdTabLock(this.tab, (locked) => {
      this.#locked = locked;
      this.#link = this.#connect();
    });
    // The tab leaves every namespace as it goes; a leader tab's hub goes with it (transport close), so
    // that the next leader can recover the session.
    globalThis.addEventListener?.("pagehide", () => this.send({ t: "bye", tab: this.tab }));
  }

  /** Whether a hub answered. */
  get ready(): boolean {
    return this.#hub !== undefined;
  }

  /** The tab's socket for namespace `nsp` (created on first use, reused after). */
  socket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents>(
    nsp: string,
    opts: SharedOptions = this.#opts,
  ): SharedSocket<ListenEvents, EmitEvents> {
    let socket = this.#sockets.get(nsp);
    if (!socket) {
      socket = new SharedSocket(this, nsp, opts);
      this.#sockets.set(nsp, socket);
    } else if (!socket.active && opts.autoConnect !== false) socket.connect();
    return socket as unknown as SharedSocket<ListenEvents, EmitEvents>;
  }

  /** Sends a message to the hub (dropped while no hub is known: sockets send again on `hello`). */
  send(msg: TabMessage): void {
    if (this.#hub !== undefined) this.#link?.send(msg);
  }

  /** Reports an error no caller can receive, as the Manager's `error` event. */
  reportError(err: ClientError): void {
    this._emit("error", err);
  }

  #connect(): HubLink {
    const handlers: LinkHandlers = {
      message: (msg) => this.#onMessage(msg),
      lost: () => this.#lost(),
      failed: () => {
        this.#lost();
        this.mode = canLead() ? "leader" : "none";
        this.#link = this.#connect();
      },
    };
    const path = (this.#opts.path ?? "/socket.io").replace(/\/$/, "");
    if (this.mode === "worker")
      return new WorkerLink(
        this.tab,
        this.#opts.workerUrl ?? `${path}/socket.io.shared-worker.js`,
        `volley:${this.#key}`,
        this.#locked,
        handlers,
      );
    if (this.mode === "leader") return new LeaderLink(this.tab, this.#key, handlers);
    const link = new LocalLink(handlers);
    link.send({ t: "hi", tab: this.tab, locked: false });
    return link;
  }

  #onMessage(msg: HubMessage): void {
    if (msg.t === "hello") {
      if (msg.hub === this.#hub) return;
      if (this.#hub !== undefined) this.#lost();
      this.#hub = msg.hub;
      for (const socket of this.#sockets.values()) socket.onHubJoined();
    } else this.#sockets.get(msg.nsp)?.onHubMessage(msg);
  }

  #lost(): void {
    if (this.#hub === undefined) return;
    this.#hub = undefined;
    for (const socket of this.#sockets.values()) socket.onHubLost();
  }
}
