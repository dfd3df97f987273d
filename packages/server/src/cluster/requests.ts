// Requests to the other servers and the answers they send back, by request id. A request waits for
// one answer per server that was alive when it was sent, stops waiting for a server the moment it is
// declared gone, and gives up after a deadline.
import { ClusterAdapterError, toClusterAdapterError } from "./errors.js";
import type { Message } from "./messages.js";
import type { ClusterStats } from "./stats.js";
import { debugCluster } from "../debug.js";

/** What a pending request does with an answer, a server's departure, and the adapter's closing. */
export interface PendingRequest {
  onResponse(msg: Message): void;
  onNodeGone(uid: string): void;
  onClose(): void;
}

export class ClusterRequests {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly prefix: string;
  private count = 0;

  private readonly stats: ClusterStats | undefined;

  constructor(uid: string, stats?: ClusterStats) {
    this.prefix = `${uid}.`;
    this.stats = stats;
  }

  /** A request id unique in the cluster (the adapter's uid, then a counter). */
  nextId(): string {
    return this.prefix + (this.count++).toString(36);
  }

  register(requestId: string, request: PendingRequest): void {
    this.pending.set(requestId, request);
  }

  delete(requestId: string): void {
    this.pending.delete(requestId);
  }

  /** Hands an answer to its request (answers to unknown or finished requests are dropped). */
  response(msg: Message): void {
    if ("requestId" in msg && typeof msg.requestId === "string")
      this.pending.get(msg.requestId)?.onResponse(msg);
  }

  nodeGone(uid: string): void {
    for (const request of [...this.pending.values()]) request.onNodeGone(uid);
  }

  closeAll(): void {
    for (const request of [...this.pending.values()]) request.onClose();
  }

  /**
   * Sends a request with `send(requestId)` and waits until every node of `waiting` answered (each
   * answer goes to `onResponse`) or is gone. Never rejects: resolves with undefined when complete,
   * else with the error that ended the wait — `REQUEST_TIMEOUT` after `timeout` ms (naming the nodes
   * that did not answer in `missingNodes`), `ADAPTER_CLOSED` on close, or what `send` failed with.
   * The answers that did arrive have been handed to `onResponse` either way.
   */
  collect(
    waiting: Set<string>,
    timeout: number,
    send: (requestId: string) => Promise<unknown>,
    onResponse: (msg: Message) => void,
  ): Promise<ClusterAdapterError | undefined> {
    if (waiting.size === 0) return Promise.resolve(undefined);
    const requestId = this.nextId();
    const total = waiting.size;
    const started = performance.now();
    return new Promise<ClusterAdapterError | undefined>((resolve) => {
      const done = (err?: ClusterAdapterError) => {
        const seconds = (performance.now() - started) / 1000;
        this.stats?.request(seconds, err !== undefined);
        if (debugCluster.enabled) logRequest(requestId, total, waiting.size, seconds, err);
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(err);
      };
      const timer = setTimeout(() => {
        const missing = [...waiting];
        done(
          new ClusterAdapterError(
            "REQUEST_TIMEOUT",
            `timeout reached: ${total - missing.length} of ${total} nodes answered; no answer from ${missing.join(", ")}`,
            { missingNodes: missing },
          ),
        );
      }, timeout);
      this.pending.set(requestId, {
        onResponse: (msg) => {
          if (!waiting.delete(msg.uid)) return;
          onResponse(msg);
          if (waiting.size === 0) done();
        },
        onNodeGone: (uid) => {
          if (waiting.delete(uid) && waiting.size === 0) done();
        },
        onClose: () =>
          done(new ClusterAdapterError("ADAPTER_CLOSED", "the adapter closed while a request was pending")),
      });
      // Sent synchronously, so requests leave in call order with the adapter's other messages.
      try {
        send(requestId).catch((err) => done(toClusterAdapterError(err)));
      } catch (err) {
        done(toClusterAdapterError(err));
      }
    });
  }
}

function logRequest(
  requestId: string,
  total: number,
  missing: number,
  seconds: number,
  err: ClusterAdapterError | undefined,
): void {
  const outcome = err === undefined ? "done" : `ended: ${err.code}`;
  const ms = (seconds * 1000).toFixed(1);
  debugCluster.log("request %s %s in %s ms (%d of %d nodes silent)", requestId, outcome, ms, missing, total);
}
