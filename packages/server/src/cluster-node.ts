// Being a node of a cluster, whatever carries the messages: joining (subscribed, then announced),
// liveness of the others, sending in order, receiving, the transport's hooks, errors as values.
// ClusterAdapter builds the adapter operations on it; a backend implements the transport hooks.
import { randomBytes } from "node:crypto";
import { Adapter, type Room } from "./adapter.js";
import { type ClusterAdapterError, toClusterAdapterError } from "./cluster/errors.js";
import { Liveness } from "./cluster/liveness.js";
import { ClusterStats } from "./cluster/stats.js";
import { debugCluster } from "./debug.js";
import { decodeFrame, encodeFrame } from "./cluster/message-codec.js";
import { type Message, MessageType, validateMessage } from "./cluster/messages.js";
import {
  type ClusterAdapterOptions,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from "./cluster/options.js";
import { OrderedSender } from "./cluster/ordered-sender.js";
import type { ClusterMetricsSnapshot } from "./metrics-snapshot.js";
import type { Namespace } from "./namespace.js";

/** Where a message goes: broadcasts (to a room's channel, or to everyone), requests, responses. */
export type ClusterChannel =
  | { readonly kind: "broadcast"; readonly room: Room | undefined }
  | { readonly kind: "request" }
  | { readonly kind: "response"; readonly uid: string };

export const REQUEST: ClusterChannel = { kind: "request" };

/** A node of a cluster (one per namespace per server). See {@link ClusterAdapter}. */
export abstract class ClusterNode extends Adapter {
  /** Unique id of this adapter (one per namespace per server) in the cluster. */
  readonly uid: string = randomBytes(8).toString("hex");
  protected readonly clusterOptions: ResolvedClusterOptions;
  /** Messages leave in call order; held back until this node has joined. */
  protected readonly sender = new OrderedSender();
  /** Resolves once this node is subscribed and announced (it never rejects). */
  protected ready: Promise<void> = Promise.resolve();
  protected closed = false;
  /** The other nodes known alive. */
  protected readonly nodes: Liveness;
  /** Whether this node is subscribed and has announced itself. */
  protected announced = false;
  /** Requests, their latency and errors, for `io.metrics()`. */
  protected readonly clusterStats = new ClusterStats();
  private joining = false;
  private markJoined!: () => void;
  private readonly joinedPromise = new Promise<void>((resolve) => (this.markJoined = resolve));

  constructor(nsp: Namespace, opts: ClusterAdapterOptions = {}) {
    super(nsp);
    this.clusterOptions = resolveClusterOptions(opts);
    this.nodes = new Liveness(this.clusterOptions, {
      heartbeat: () => {
        if (this.announced && this.transportAvailable()) this.send(REQUEST, MessageType.HEARTBEAT, {});
        this.onHeartbeat();
      },
      probe: (uids) => this.probeNodes(uids),
      available: () => this.transportAvailable(),
      gone: (uid) => this.onNodeGone(uid),
      report: (err) => this.report(err),
    });
    this.on("create-room", (room: Room) => this.watchRoom(room));
    this.on("delete-room", (room: Room) => this.unwatchRoom(room));
  }

  // ── the transport: what a backend implements ──────────────────────────────────────────────────

  /** Sends a frame on a channel. Rejects when the transport failed to take it. */
  protected abstract publish(channel: ClusterChannel, frame: Buffer): Promise<unknown>;

  /**
   * Subscribes this node to broadcasts for everyone, requests, and the responses addressed to
   * {@link uid}; resolves once the transport has confirmed every subscription (retrying as needed).
   */
  protected abstract subscribeNode(): Promise<void>;

  /** Ends the subscriptions of {@link subscribeNode} (and any per room). */
  protected abstract unsubscribeNode(): Promise<void>;

  /** Work after subscribing and before announcing (loading scripts, …). Default: nothing. */
  protected startTransport(): Promise<void> {
    return Promise.resolve();
  }

  /** Interest routing: this node now has members in `room` (a backend may subscribe to it). */
  protected watchRoom(_room: Room): void {}

  /** This node no longer has members in `room`. */
  protected unwatchRoom(_room: Room): void {}

  /** Resolves once a subscription to `room` is confirmed; undefined when nothing is pending. */
  protected roomConfirmation(_room: Room): Promise<void> | undefined {
    return undefined;
  }

  /**
   * Which of `uids` the transport knows to be gone (e.g. no longer subscribed), checked every
   * `livenessInterval`; undefined when it cannot tell (heartbeats alone then decide).
   */
  protected probeNodes(_uids: string[]): Promise<string[]> | undefined {
    return undefined;
  }

  /** Whether the transport can carry messages now; while false, broadcasts are kept for later. */
  protected transportAvailable(): boolean {
    return true;
  }

  /** Turns any failure into the error this adapter reports (a backend names its own code/class). */
  protected toError(err: unknown): ClusterAdapterError {
    return toClusterAdapterError(err);
  }

  /** Hook: runs every `heartbeatInterval` (periodic upkeep of a backend). */
  protected onHeartbeat(): void {}

  /** A node was declared gone: stop waiting for it. */
  protected abstract onNodeGone(uid: string): void;

  /** A valid message of this node's namespace (or of another: the receiver checks). */
  protected abstract handle(msg: Message, offset: string | undefined): void;

  /** The transport is back: what was kept for it goes out now. */
  protected onTransportUp(): void {}

  /** The adapter is closing: end what waits. */
  protected onClose(): void {}

  // ── called by the backend ────────────────────────────────────────────────────────────────────

  /** A message from another node (or this node's own echo). Never throws: bad input is reported. */
  protected receive(frame: Buffer, offset?: string): void {
    try {
      this.handle(validateMessage(decodeFrame(frame)), offset);
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * The transport is back (connected and every subscription confirmed again): this node announces
   * itself again (nodes that dropped it count it once more, and answer), then what it kept goes out.
   */
  protected transportUp(): void {
    if (this.closed || !this.transportAvailable()) return;
    if (this.announced) this.send(REQUEST, MessageType.INITIAL_HEARTBEAT, {});
    else if (!this.joining) this.ready = this.join();
    this.onTransportUp();
  }

  // ── life cycle ───────────────────────────────────────────────────────────────────────────────

  /** Subscribes, then announces this node; sends wait for it, in order. Never rejects. */
  override init(): Promise<void> {
    this.ready = this.join();
    this.sender.hold(this.ready);
    this.nodes.start();
    return this.ready;
  }

  /** Whether this node is subscribed and has announced itself (counted by the others). */
  get joined(): boolean {
    return this.announced;
  }

  /**
   * Resolves once this node is subscribed to everything it must hear and has announced itself —
   * however many attempts that takes. A server should not report itself ready before.
   */
  whenJoined(): Promise<void> {
    return this.joinedPromise;
  }

  private async join(): Promise<void> {
    this.joining = true;
    try {
      await this.subscribeNode();
      await this.startTransport();
      // Straight out, not through the sender: the sender waits for this very start-up.
      await this.publish(REQUEST, encodeFrame(this.message(MessageType.INITIAL_HEARTBEAT, {})));
      this.announced = !this.closed;
      if (this.announced) this.markJoined();
    } catch (err) {
      // Tried again when the transport reports it is back (transportUp).
      this.report(err);
    } finally {
      this.joining = false;
    }
  }

  /** Announces the departure, stops waiting for anyone, unsubscribes. Bounded by `requestsTimeout`. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nodes.stop();
    this.onClose();
    let farewell: Promise<unknown>;
    try {
      farewell = Promise.allSettled([
        this.publish(REQUEST, encodeFrame(this.message(MessageType.ADAPTER_CLOSE, {}))),
        this.unsubscribeNode(),
      ]);
    } catch (err) {
      farewell = Promise.reject(err);
    }
    // With the transport unreachable its calls may wait for long: `io.close()` must not hang on them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      farewell.catch(() => {}),
      new Promise((resolve) => (timer = setTimeout(resolve, this.clusterOptions.requestsTimeout))),
    ]);
    clearTimeout(timer);
  }

  /** Servers of the cluster serving this namespace: this one and every live node that joined. */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.nodes.size);
  }

  /** Metrics hook: nodes, requests and their latency, errors (see `io.metrics()`). */
  override clusterMetrics(): ClusterMetricsSnapshot {
    return this.clusterStats.snapshot(1 + this.nodes.size, 0);
  }

  /** Uids of the other nodes this one knows alive. */
  liveNodes(): string[] {
    return [...this.nodes.uids()];
  }

  /** Whether the node `uid` is known alive. */
  isNodeAlive(uid: string): boolean {
    return this.nodes.has(uid);
  }

  /** Resolves when node `uid` is declared gone, or after `ms`. */
  waitForNodeGone(uid: string, ms: number): Promise<void> {
    return this.nodes.waitForGone(uid, ms);
  }

  /** Encodes and publishes in order; failures are reported. */
  protected send(channel: ClusterChannel, type: Message["type"], body: object): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(this.message(type, body));
    } catch (err) {
      this.report(err);
      return;
    }
    this.sender.send(undefined, () => this.publish(channel, frame)).catch((err) => this.report(err));
  }

  /** The envelope every node checks: type, sender, namespace. */
  protected message(type: Message["type"], body: object): object {
    return { type, uid: this.uid, nsp: this.host.name, ...body };
  }

  // ── errors ───────────────────────────────────────────────────────────────────────────────────

  /** Reports an error as a value: adapter "error" listeners, else the server's, else a process warning. */
  protected report(err: unknown): void {
    const error = this.toError(err);
    this.clusterStats.error(error.code);
    if (debugCluster.enabled) debugCluster.log("%s: error %s: %s", this.host.name, error.code, error.message);
    if (this.listenerCount("error") > 0) {
      try {
        this.emit("error", error);
        return;
      } catch {}
    }
    if (this.host.hasErrorListeners()) {
      this.host.reportError(error);
      return;
    }
    process.emitWarning(`${error.message} (namespace ${this.host.name})`, { code: error.code });
  }
}
