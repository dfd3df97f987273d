// The admin view on a server: the page (PageServer), the authenticated admin namespace, the updates
// pushed to it (on an interval, and soon after sockets come and go), and the operator's actions.
// Everything goes through the server's public API, so it works the same over a cluster adapter.
import { EventEmitter } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { Namespace, Socket } from "volley";
import {
  type ActionContext,
  type ActionReply,
  type AdminAction,
  disconnectSocket,
  leaveRoom,
} from "./actions.js";
import { Credentials } from "./credentials.js";
import { History, type Sample } from "./history.js";
import { LoginLimiter } from "./login-limiter.js";
import { type AdminOptions, type ResolvedAdminOptions, resolveAdminOptions } from "./options.js";
import { PageServer } from "./page-server.js";
import {
  type AnyServer,
  describeNamespace,
  localSummary,
  type NodeSummary,
  type NodeView,
  nodeUid,
  otherNodes,
  type Snapshot,
  serverMetrics,
} from "./snapshot.js";

/** Events of {@link Admin}. */
export interface AdminEvents {
  /** An operator disconnected a socket or made it leave a room (for an audit log). */
  action: [AdminAction];
  /** An operator logged in. */
  login: [{ operator: string; address: string }];
  /** A login was refused (wrong credentials, or too many failures from that address). */
  loginRefused: [{ address: string; reason: string }];
  /** A failure of the admin view itself (without a listener: a process warning). */
  error: [Error];
}

const NODE_SUMMARY_EVENT = "volley-admin:node-summary";

// biome-ignore lint/suspicious/noExplicitAny: any namespace, whatever its event maps
type AnyNamespace = Namespace<any, any, any, any>;

/**
 * The admin view attached to a server. Created by {@link attachAdmin}; {@link close} removes it.
 */
export class Admin extends EventEmitter<AdminEvents> {
  /** The admin namespace the page connects to. */
  readonly namespace: AnyNamespace;
  private readonly io: AnyServer;
  private readonly options: ResolvedAdminOptions;
  private readonly credentials: Credentials;
  private readonly limiter: LoginLimiter;
  private readonly page: PageServer;
  private readonly history: History;
  private readonly startedAt: number;
  private intervalTimer: unknown;
  private throttleTimer: unknown;
  private building = false;
  private rebuild = false;
  private closed = false;
  private readonly onRoomChange = () => this.schedule();
  private readonly onNewNamespace = (nsp: AnyNamespace) => this.watch(nsp);
  private readonly onHttpClose = () => this.close();
  /** Another node's admin view asks for this node's summary. */
  private readonly onSummaryRequest = (ack: unknown) => {
    if (typeof ack === "function") ack(localSummary(this.io, this.options.namespace, this.startedAt));
  };

  constructor(io: AnyServer, opts: AdminOptions) {
    super();
    const options = resolveAdminOptions(opts);
    const http = io.httpServer as HttpServer | undefined;
    if (!http) {
      throw new Error(
        "attachAdmin: attach the Volley server to an http server first (new Server(httpServer))",
      );
    }
    const ioPath = io.path();
    if (options.path === "/" || options.path === ioPath || options.path.startsWith(`${ioPath}/`)) {
      throw new TypeError(
        `attachAdmin: option path must not be "/" nor lie under the server's path ${ioPath}`,
      );
    }
    if (options.namespace === "/") throw new TypeError('attachAdmin: option namespace must not be "/"');
    if (io.namespaces().some((nsp) => nsp.name === options.namespace)) {
      throw new Error(`attachAdmin: namespace ${options.namespace} is already in use`);
    }
    this.io = io;
    this.options = options;
    this.startedAt = options.now();
    this.credentials = new Credentials(options.username, options.secret, options.scryptCost);
    this.limiter = new LoginLimiter({
      maxFailures: options.maxFailedLogins,
      window: options.failedLoginWindow,
      maxAddresses: options.maxTrackedAddresses,
      maxConcurrent: options.maxConcurrentLogins,
      now: options.now,
    });
    this.history = new History(options.historySize);
    this.page = new PageServer({ path: options.path, ioPath, namespace: options.namespace });
    this.namespace = io.of(options.namespace);
    this.namespace.use((socket, next) => this.authenticate(socket, next));
    this.namespace.on("connection", (socket) => this.onOperator(socket));
    (this.namespace as EventEmitter).on(NODE_SUMMARY_EVENT, this.onSummaryRequest);
    for (const nsp of io.namespaces()) this.watch(nsp);
    io.sockets.on("new_namespace", this.onNewNamespace);
    this.page.attach(http);
    http.on("close", this.onHttpClose);
    this.tick();
  }

  /** Stops the updates, disconnects the operators and stops serving the page. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const clock = this.io.engine.options.clock;
    clock.clearTimeout(this.intervalTimer);
    clock.clearTimeout(this.throttleTimer);
    this.io.sockets.off("new_namespace", this.onNewNamespace);
    (this.namespace as EventEmitter).off(NODE_SUMMARY_EVENT, this.onSummaryRequest);
    for (const nsp of this.io.namespaces()) {
      nsp.adapter.off("join-room", this.onRoomChange);
      nsp.adapter.off("leave-room", this.onRoomChange);
    }
    (this.io.httpServer as HttpServer | undefined)?.off("close", this.onHttpClose);
    this.page.detach();
    this.namespace.local.disconnectSockets();
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else process.emitWarning(`@volley/admin: ${error.message}`);
  }

  // ── logins ───────────────────────────────────────────────────────────────────────────────────

  private authenticate(socket: Socket, next: (err?: Error) => void): void {
    const address = socket.handshake.address;
    if (this.closed) {
      next(refusal("the admin view is closed"));
      return;
    }
    const refused = this.limiter.begin(address);
    if (refused) {
      this.emit("loginRefused", { address, reason: refused.reason });
      next(refusal(refused.reason, { retryAfter: Math.ceil(refused.retryAfter / 1000) }));
      return;
    }
    const { username, password } = socket.handshake.auth;
    this.credentials.verify(username, password).then(
      (ok) => {
        this.limiter.settle(address, ok);
        if (ok) {
          this.emit("login", { operator: String(username), address });
          next();
          return;
        }
        this.emit("loginRefused", { address, reason: "invalid credentials" });
        next(refusal("invalid credentials"));
      },
      (err: unknown) => {
        this.limiter.settle(address, false);
        this.report(err);
        next(refusal("the admin view cannot check credentials"));
      },
    );
  }

  private onOperator(socket: Socket): void {
    const operator = String(socket.handshake.auth.username);
    socket.emit("hello", { operator, history: this.history.all(), interval: this.options.updateInterval });
    socket.on("disconnect-socket", (request: unknown, ack: unknown) =>
      reply(ack, this.act(disconnectSocket, request, socket)),
    );
    socket.on("leave-room", (request: unknown, ack: unknown) =>
      reply(ack, this.act(leaveRoom, request, socket)),
    );
    this.schedule();
  }

  // ── actions ──────────────────────────────────────────────────────────────────────────────────

  private act(
    perform: (request: unknown, ctx: ActionContext) => AdminAction | string,
    request: unknown,
    socket: Socket,
  ): ActionReply {
    const action = perform(request, {
      io: this.io,
      adminNamespace: this.options.namespace,
      operator: String(socket.handshake.auth.username),
      address: socket.handshake.address,
      now: this.options.now(),
    });
    if (typeof action === "string") return { ok: false, error: action };
    this.record(action);
    return { ok: true };
  }

  private record(action: AdminAction): void {
    this.emit("action", action);
    // Every operator of the cluster sees it in the page's log.
    this.namespace.emit("action", action);
    this.schedule();
  }

  // ── updates ──────────────────────────────────────────────────────────────────────────────────

  /** Listens to a namespace's room events (nothing is kept: a removed namespace takes its listeners along). */
  private watch(nsp: AnyNamespace): void {
    const adapter = nsp.adapter;
    if (this.closed || adapter.listeners("join-room").includes(this.onRoomChange)) return;
    adapter.on("join-room", this.onRoomChange);
    adapter.on("leave-room", this.onRoomChange);
  }

  /** Every `updateInterval`: a chart sample, then an update. */
  private tick(): void {
    if (this.closed) return;
    const counts: Record<string, number> = {};
    for (const nsp of this.io.namespaces()) {
      if (nsp.name !== this.options.namespace) counts[nsp.name] = nsp.sockets.size;
    }
    const sample = this.history.add(this.options.now(), counts, serverMetrics(this.io));
    if (this.namespace.sockets.size > 0) this.namespace.local.emit("sample", sample satisfies Sample);
    this.push();
    const clock = this.io.engine.options.clock;
    this.intervalTimer = unref(clock.setTimeout(() => this.tick(), this.options.updateInterval, undefined));
  }

  /** An update soon (at most one per `eventThrottle`), after a change. */
  private schedule(): void {
    if (this.closed || this.throttleTimer !== undefined || this.namespace.sockets.size === 0) return;
    const clock = this.io.engine.options.clock;
    this.throttleTimer = unref(
      clock.setTimeout(
        () => {
          this.throttleTimer = undefined;
          this.push();
        },
        this.options.eventThrottle,
        undefined,
      ),
    );
  }

  /** Builds a snapshot and sends it to this node's operators; one build at a time. */
  private push(): void {
    if (this.closed || this.namespace.sockets.size === 0) return;
    if (this.building) {
      this.rebuild = true;
      return;
    }
    this.building = true;
    this.snapshot()
      .then(
        (snapshot) => {
          if (!this.closed) this.namespace.local.emit("snapshot", snapshot);
        },
        (err: unknown) => this.report(err),
      )
      .finally(() => {
        this.building = false;
        if (this.rebuild) {
          this.rebuild = false;
          this.push();
        }
      });
  }

  /** The whole picture, as this node sees it. */
  async snapshot(): Promise<Snapshot> {
    const namespaces = this.io.namespaces().filter((nsp) => nsp.name !== this.options.namespace);
    const [views, { nodes, complete }] = await Promise.all([
      Promise.all(
        namespaces.map((nsp) =>
          describeNamespace(nsp, this.options.maxSocketsListed, this.options.maxRoomsListed),
        ),
      ),
      this.nodes(),
    ]);
    return {
      at: this.options.now(),
      namespaces: views,
      nodes,
      complete,
      operators: this.namespace.sockets.size,
    };
  }

  /** This node, the nodes its cluster adapter knows alive, and the summaries of those running the admin view. */
  private async nodes(): Promise<{ nodes: NodeView[]; complete: boolean }> {
    let summaries: NodeSummary[] = [];
    let complete = true;
    try {
      summaries = (await this.namespace.serverSideEmitWithAck(NODE_SUMMARY_EVENT)) as NodeSummary[];
    } catch (err) {
      // Some node did not answer in time (dead, or the transport is down): the others' answers count,
      // and the same nodes did not answer fetchSockets either, so the listing is marked incomplete.
      summaries = ((err as { responses?: unknown[] }).responses ?? []) as NodeSummary[];
      complete = false;
    }
    const byUid = new Map<string, NodeSummary>();
    for (const summary of summaries) {
      if (summary && typeof summary === "object" && typeof summary.uid === "string")
        byUid.set(summary.uid, summary);
    }
    const self = localSummary(this.io, this.options.namespace, this.startedAt);
    const nodes: NodeView[] = [{ uid: nodeUid(this.io), self: true, summary: self }];
    for (const uid of otherNodes(this.io).sort()) nodes.push({ uid, self: false, summary: byUid.get(uid) });
    return { nodes, complete };
  }
}

/** Attaches the admin view to a server already attached to its http server. See the README. */
export function attachAdmin(io: AnyServer, opts: AdminOptions): Admin {
  return new Admin(io, opts);
}

function refusal(message: string, data?: Record<string, unknown>): Error {
  const err = new Error(message) as Error & { data?: unknown };
  if (data) err.data = data;
  return err;
}

function reply(ack: unknown, result: ActionReply): void {
  if (typeof ack === "function") ack(result);
}

function unref(handle: unknown): unknown {
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}
