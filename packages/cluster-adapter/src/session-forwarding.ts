// Polling without sticky sessions across the workers: node:cluster hands each connection to any
// worker, so a polling request (or an upgrade) may reach a worker that does not hold its session.
// Each worker also listens on a private loopback port of its own; the session id names its owner,
// and the request is relayed there (the relay itself is @volley/redis-adapter's SessionForwarding,
// which depends on no Redis but its directory: here the directory lives in the primary).
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type ForwardingStats, type NodeDirectory, SessionForwarding } from "@volley/redis-adapter";
import { type NodeClusterAdapterOptions, resolveOptions } from "./options.js";
import { channelFor, type WorkerChannel } from "./worker-channel.js";

/** The node directory of session forwarding, kept by the primary (a worker's entries go when it exits). */
export class IpcNodeDirectory implements NodeDirectory {
  private readonly channel: WorkerChannel;
  private readonly timeout: number;

  constructor(channel: WorkerChannel, timeout: number) {
    this.channel = channel;
    this.timeout = timeout;
  }

  async register(id: string, address: string): Promise<void> {
    await this.ask({ op: "register", nodeId: id, address });
  }

  async lookup(id: string): Promise<string | undefined> {
    const reply = await this.ask({ op: "lookup", nodeId: id });
    return typeof reply.address === "string" ? reply.address : undefined;
  }

  async unregister(id: string): Promise<void> {
    await this.ask({ op: "unregister", nodeId: id });
  }

  private async ask(msg: { op: "register" | "unregister" | "lookup"; nodeId: string; address?: string }) {
    const reply = await this.channel.request({ t: "volley:dir", ...msg }, this.timeout);
    if (reply?.t !== "volley:reply") {
      throw new Error(`the primary did not answer a directory ${msg.op} within ${this.timeout} ms`);
    }
    return reply;
  }
}

/** Options of {@link createSessionRouter}. */
export interface SessionRouterOptions extends Pick<NodeClusterAdapterOptions, "port" | "serialization"> {
  /** How long connecting to the worker that owns a session may take before the request is refused, ms. Default 3000. */
  connectTimeout?: number;
  /** How long a directory request to the primary may take, ms. Default 5000. */
  requestsTimeout?: number;
}

/**
 * The engine's `sessionRouter` for a worker: ids that name this worker, and requests for another
 * worker's session relayed to it over loopback. Close it after `io.close()`.
 */
export class WorkerSessionRouter {
  private readonly forwarding: SessionForwarding;
  private readonly loopback: HttpServer;

  constructor(forwarding: SessionForwarding, loopback: HttpServer) {
    this.forwarding = forwarding;
    this.loopback = loopback;
  }

  /** Resolves once this worker is in the primary's directory (ids made before are not forwardable). */
  get ready(): Promise<void> {
    return this.forwarding.ready;
  }

  /** This worker's id: the prefix of its session ids. */
  get nodeId(): string {
    return this.forwarding.nodeId;
  }

  /** What has been forwarded and refused so far. */
  stats(): ForwardingStats {
    return this.forwarding.stats();
  }

  generateId(req: IncomingMessage): string {
    return this.forwarding.generateId(req);
  }

  forwardRequest(sid: string, req: IncomingMessage, res: ServerResponse, refuse: () => void): boolean {
    return this.forwarding.forwardRequest(sid, req, res, refuse);
  }

  forwardUpgrade(
    sid: string,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    refuse: () => void,
  ): boolean {
    return this.forwarding.forwardUpgrade(sid, req, socket, head, refuse);
  }

  /** Leaves the directory, ends relayed connections and closes the loopback listener. */
  async close(): Promise<void> {
    await this.forwarding.close();
    this.loopback.closeAllConnections();
    await new Promise<void>((resolve) => this.loopback.close(() => resolve()));
  }
}

/**
 * The `sessionRouter` option of a Volley `Server` in a worker: `server` is the http server Volley is
 * attached to (requests relayed from the other workers are handed to it). Resolves once the
 * loopback listener is up and this worker is in the directory.
 */
export async function createSessionRouter(
  server: HttpServer,
  opts: SessionRouterOptions = {},
): Promise<WorkerSessionRouter> {
  const o = resolveOptions(opts);
  const channel = channelFor(o.port, o.advanced, o.maxBacklogBytes);
  const loopback = createServer();
  loopback.on("request", (req, res) => server.emit("request", req, res));
  loopback.on("upgrade", (req, socket, head) => server.emit("upgrade", req, socket, head));
  // exclusive: a port of this worker's own, not one shared through the primary.
  await new Promise<void>((resolve, reject) => {
    loopback.once("error", reject);
    loopback.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      loopback.off("error", reject);
      resolve();
    });
  });
  const { port } = loopback.address() as AddressInfo;
  const forwarding = new SessionForwarding(new IpcNodeDirectory(channel, opts.requestsTimeout ?? 5000), {
    advertiseAddress: `127.0.0.1:${port}`,
    // Entries leave the primary's directory when their worker exits; the refresh only re-registers.
    nodeTtl: 60_000,
    ...(opts.connectTimeout !== undefined && { connectTimeout: opts.connectTimeout }),
  });
  const router = new WorkerSessionRouter(forwarding, loopback);
  await forwarding.ready;
  return router;
}
