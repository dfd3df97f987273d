// Which other nodes are alive: signs of life (any request or heartbeat they send), their silence
// beyond `heartbeatTimeout`, and — every `livenessInterval` — what the transport knows (Redis: who is
// still subscribed). A node declared gone is no longer counted nor waited for, at once.
import { debugCluster } from "../debug.js";
import { NodeDepartures } from "./departures.js";
import { ClusterNodes } from "./nodes.js";
import type { ResolvedClusterOptions } from "./options.js";

/** What liveness needs from its adapter. */
export interface LivenessHooks {
  /** Publishes a heartbeat (the adapter decides whether it may). */
  heartbeat(): void;
  /** Which of `uids` the transport knows to be gone; undefined when it cannot tell. */
  probe(uids: string[]): Promise<string[]> | undefined;
  /** Whether the transport can be asked now. */
  available(): boolean;
  /** A node was declared gone. */
  gone(uid: string): void;
  report(err: unknown): void;
}

export class Liveness {
  private readonly nodes: ClusterNodes;
  private readonly departures = new NodeDepartures();
  private readonly hooks: LivenessHooks;
  private readonly opts: ResolvedClusterOptions;
  private probing = false;
  private stopped = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private probeTimer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: ResolvedClusterOptions, hooks: LivenessHooks) {
    this.opts = opts;
    this.hooks = hooks;
    this.nodes = new ClusterNodes(opts.heartbeatTimeout, opts.now);
  }

  start(): void {
    this.heartbeatTimer = setInterval(() => this.tick(), this.opts.heartbeatInterval);
    this.heartbeatTimer.unref();
    this.probeTimer = setInterval(() => this.probe(), this.opts.livenessInterval);
    this.probeTimer.unref();
  }

  /** Stops the timers and wakes everyone waiting for a departure. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.probeTimer);
    this.departures.wakeAll();
  }

  /** A sign of life from `uid`. */
  seen(uid: string): void {
    if (this.nodes.seen(uid) && debugCluster.enabled) debugCluster.log("node %s joined", uid);
  }

  /** `uid` said goodbye (or is known gone). */
  remove(uid: string): void {
    if (this.nodes.remove(uid)) this.declareGone(uid);
  }

  has(uid: string): boolean {
    return this.nodes.has(uid);
  }

  /** Uids of the live nodes (other than this one). */
  uids(): Set<string> {
    return this.nodes.uids();
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Resolves when `uid` is declared gone, or after `ms`. */
  waitForGone(uid: string, ms: number): Promise<void> {
    return this.departures.wait(uid, ms);
  }

  private tick(): void {
    this.hooks.heartbeat();
    for (const uid of this.nodes.prune()) this.declareGone(uid);
  }

  /** Asks the transport which nodes are gone; one probe at a time. */
  private probe(): void {
    if (this.probing || this.stopped || this.nodes.size === 0 || !this.hooks.available()) return;
    let probe: Promise<string[]> | undefined;
    try {
      probe = this.hooks.probe([...this.nodes.uids()]);
    } catch (err) {
      this.hooks.report(err);
    }
    if (!probe) return;
    this.probing = true;
    probe.then(
      (gone) => {
        this.probing = false;
        for (const uid of gone) this.remove(uid);
      },
      (err) => {
        this.probing = false;
        this.hooks.report(err);
      },
    );
  }

  private declareGone(uid: string): void {
    if (debugCluster.enabled) debugCluster.log("node %s gone", uid);
    this.departures.gone(uid);
    this.hooks.gone(uid);
  }
}
