// Polling without sticky sessions. Session ids name their owner (owned-session-id); a request or
// upgrade for a session held by another server is relayed to it (request-relay, upgrade-relay),
// found in the node directory (node-directory). Plugged into the engine as its `sessionRouter`.
import { EventEmitter } from "node:events";
import { Agent, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { toRedisAdapterError } from "./errors.js";
import { isForwarded } from "./forwarded-headers.js";
import {
  type ResolvedForwardingOptions,
  resolveForwardingOptions,
  type SessionForwardingOptions,
} from "./forwarding-options.js";
import type { NodeDirectory } from "./node-directory.js";
import { newNodeId, ownedSessionId, ownerOf, randomSessionId } from "./owned-session-id.js";
import { advertisedAddressOf, type PeerAddress, parseAddress } from "./peer-address.js";
import { type RelayContext, relayRequest } from "./request-relay.js";
import { relayUpgrade, type Tunnel } from "./upgrade-relay.js";

/** Counters of a {@link SessionForwarding}, since it started. */
export interface ForwardingStats {
  /** Polling requests relayed to their session's owner. */
  forwardedRequests: number;
  /** WebSocket upgrades relayed to their session's owner. */
  forwardedUpgrades: number;
  /** Requests and upgrades for another server's session refused: the owner is unknown or unreachable. */
  refused: number;
  /** Relayed WebSocket connections open now. */
  openTunnels: number;
  /** Relayed polling requests in flight now (waiting for or streaming the owner's answer). */
  openRequests: number;
}

/** Events of a {@link SessionForwarding}. */
export interface SessionForwardingEvents {
  /** A directory command failed (a `RedisAdapterError` with code `REDIS_ERROR`). */
  error: [err: Error];
}

// Keep-alive connections to the other servers are dropped after this long idle, before Node's
// default server keepAliveTimeout (5 s) closes them under us. Servers that announce a shorter
// `Keep-Alive: timeout=` are honoured by Node's agent.
const IDLE_PEER_CONNECTION_MS = 4000;

/**
 * The engine's `sessionRouter` for a cluster behind a load balancer without sticky sessions: a
 * polling request or WebSocket upgrade that reaches a server other than its session's owner is
 * relayed to the owner. See the README, "Load balancers without sticky sessions".
 */
export class SessionForwarding extends EventEmitter<SessionForwardingEvents> {
  /** This server's id in the cluster: the prefix of the session ids it makes. */
  readonly nodeId: string = newNodeId();
  /** Resolves once this server is in the directory (session ids made before are not forwardable). Never rejects. */
  readonly ready: Promise<void>;
  private readonly directory: NodeDirectory;
  private readonly opts: ResolvedForwardingOptions;
  private readonly agent = new Agent({ keepAlive: true, timeout: IDLE_PEER_CONNECTION_MS });
  /** Owner addresses already looked up, oldest first. */
  private readonly addresses = new Map<string, PeerAddress>();
  private readonly tunnels = new Set<Tunnel>();
  private readonly relay: RelayContext;
  private address: string | undefined;
  private registered = false;
  private closed = false;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private forwardedRequests = 0;
  private forwardedUpgrades = 0;
  private refused = 0;
  private openRequests = 0;

  /** @throws TypeError naming the option when a value is out of range. */
  constructor(directory: NodeDirectory, opts: SessionForwardingOptions) {
    super();
    this.directory = directory;
    this.opts = resolveForwardingOptions(opts);
    this.relay = {
      nodeId: this.nodeId,
      agent: this.agent,
      connectTimeout: this.opts.connectTimeout,
      onUnreachable: (owner) => this.onUnreachable(owner),
    };
    this.ready = this.start();
  }

  /** What has been forwarded and refused so far. */
  stats(): ForwardingStats {
    return {
      forwardedRequests: this.forwardedRequests,
      forwardedUpgrades: this.forwardedUpgrades,
      refused: this.refused,
      openTunnels: this.tunnels.size,
      openRequests: this.openRequests,
    };
  }

  /** Session ids of the WebSocket connections relayed through this server to their owners now. */
  tunnelledSessions(): string[] {
    return [...this.tunnels].map((t) => t.sid);
  }

  /** The engine's seam: ids that name this server once it is in the directory. */
  generateId(_req: IncomingMessage): string {
    return this.registered && !this.closed ? ownedSessionId(this.nodeId) : randomSessionId();
  }

  /** The engine's seam: relays a polling request for another server's session. */
  forwardRequest(sid: string, req: IncomingMessage, res: ServerResponse, refuse: () => void): boolean {
    const owner = this.foreignOwner(sid, req);
    if (owner === undefined) return false;
    this.withAddress(owner, (target) => {
      if (target === undefined) {
        this.refused++;
        refuse();
        return;
      }
      this.forwardedRequests++;
      this.openRequests++;
      res.once("close", () => this.openRequests--);
      relayRequest(owner, target, req, res, refuse, this.relay);
    });
    return true;
  }

  /** The engine's seam: relays a WebSocket upgrade for another server's session. */
  forwardUpgrade(
    sid: string,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    refuse: () => void,
  ): boolean {
    const owner = this.foreignOwner(sid, req);
    if (owner === undefined) return false;
    this.withAddress(owner, (target) => {
      if (target === undefined || this.closed) {
        this.refused++;
        refuse();
        return;
      }
      this.forwardedUpgrades++;
      const tunnel = relayUpgrade(sid, owner, target, req, socket, head, refuse, this.relay, (t) =>
        this.tunnels.delete(t),
      );
      this.tunnels.add(tunnel);
    });
    return true;
  }

  /**
   * The engine's seam: true for a request another server relayed here. Its connection breaking
   * (the relaying server died) does not end the session: the balancer sends the request again.
   */
  isRelayed(req: IncomingMessage): boolean {
    return isForwarded(req);
  }

  /** Leaves the directory, ends relayed connections and stops refreshing. Call after `io.close()`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    for (const tunnel of this.tunnels) tunnel.destroy();
    this.tunnels.clear();
    this.agent.destroy();
    // A registration still in flight removes itself when it sees `closed`.
    if (this.registered) {
      this.registered = false;
      await this.directory.unregister(this.nodeId).catch((err) => this.report(err));
    }
  }

  /** The owner a request must be relayed to, or undefined when the engine should refuse it itself. */
  private foreignOwner(sid: string, req: IncomingMessage): string | undefined {
    // A relayed request is never relayed again: the owner no longer has the session, or a loop.
    if (this.closed || isForwarded(req)) return undefined;
    const owner = ownerOf(sid);
    return owner === undefined || owner === this.nodeId ? undefined : owner;
  }

  /** Calls back with the owner's address: at once when known, else after asking the directory. */
  private withAddress(owner: string, then: (target: PeerAddress | undefined) => void): void {
    const known = this.addresses.get(owner);
    if (known !== undefined) {
      then(known);
      return;
    }
    this.directory.lookup(owner).then(
      (address) => {
        const target = address === undefined ? undefined : parseAddress(address);
        if (target !== undefined) this.remember(owner, target);
        then(target);
      },
      (err) => {
        this.report(err);
        then(undefined);
      },
    );
  }

  private remember(owner: string, target: PeerAddress): void {
    this.addresses.delete(owner);
    this.addresses.set(owner, target);
    if (this.addresses.size > this.opts.maxCachedNodes) {
      const oldest = this.addresses.keys().next().value;
      if (oldest !== undefined) this.addresses.delete(oldest);
    }
  }

  private onUnreachable(owner: string): void {
    // Dead or restarted (a restarted server has a new id): ask the directory next time.
    this.addresses.delete(owner);
    this.refused++;
  }

  private async start(): Promise<void> {
    try {
      const server = this.opts.server;
      if (this.opts.advertiseAddress === undefined && server !== undefined && !server.listening) {
        await new Promise<void>((resolve) => server.once("listening", resolve));
      }
      if (this.closed) return;
      this.address = this.opts.advertiseAddress ?? advertisedAddressOf(server!);
      // Refreshing also retries a first registration that failed (Redis down at start-up).
      this.refreshTimer = setInterval(() => this.refresh(), this.opts.nodeTtl / 3);
      this.refreshTimer.unref();
      await this.directory.register(this.nodeId, this.address, this.opts.nodeTtl);
      this.registered = !this.closed;
      if (this.closed) await this.directory.unregister(this.nodeId);
    } catch (err) {
      this.report(err);
    }
  }

  private refresh(): void {
    if (this.closed || this.address === undefined) return;
    this.directory.register(this.nodeId, this.address, this.opts.nodeTtl).then(
      () => {
        this.registered = !this.closed;
      },
      (err) => this.report(err),
    );
  }

  private report(err: unknown): void {
    const error = toRedisAdapterError(err);
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else process.emitWarning(error);
  }
}
