// Requests as the official Socket.IO Redis adapter counts them: its responses do not say who sent
// them, so a request expects as many responses as there are other servers (the subscriber count of
// the request channel, minus this one) and matches them by request id alone. A server that dies
// while a request waits costs the deadline, as with the official adapter.
import { randomBytes } from "node:crypto";
import { ClusterAdapterError, toClusterAdapterError } from "volley";
import type { SioResponse } from "./socketio-wire.js";

export interface CountedRequest {
  onResponse(response: SioResponse): void;
  onClose(): void;
}

export class CountedRequests {
  private readonly pending = new Map<string, CountedRequest>();
  private readonly prefix = randomBytes(6).toString("base64url");
  private count = 0;

  /** A request id unique in the cluster (random per adapter, then a counter). */
  nextId(): string {
    return `${this.prefix}${(this.count++).toString(36)}`;
  }

  register(requestId: string, request: CountedRequest): void {
    this.pending.set(requestId, request);
  }

  delete(requestId: string): void {
    this.pending.delete(requestId);
  }

  /** Hands a response to its request; responses to unknown or finished requests are dropped. */
  response(response: SioResponse): void {
    this.pending.get(response.requestId)?.onResponse(response);
  }

  closeAll(): void {
    for (const request of [...this.pending.values()]) request.onClose();
  }

  /**
   * Sends a request with `send(requestId)` and hands each response to `onResponse` until `expected`
   * have come. Never rejects: resolves with undefined when complete, else with the error that ended
   * the wait — `REQUEST_TIMEOUT` after `timeout` ms, `ADAPTER_CLOSED`, or what `send` failed with.
   */
  collect(
    expected: number,
    timeout: number,
    send: (requestId: string) => Promise<unknown>,
    onResponse: (response: SioResponse) => void,
  ): Promise<ClusterAdapterError | undefined> {
    if (expected <= 0) return Promise.resolve(undefined);
    const requestId = this.nextId();
    let received = 0;
    return new Promise((resolve) => {
      const done = (err?: ClusterAdapterError) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(err);
      };
      const timer = setTimeout(
        () =>
          done(
            new ClusterAdapterError(
              "REQUEST_TIMEOUT",
              `timeout reached: ${received} of ${expected} servers answered (socket.io compat mode cannot name the silent ones)`,
            ),
          ),
        timeout,
      );
      this.pending.set(requestId, {
        onResponse: (response) => {
          onResponse(response);
          if (++received >= expected) done();
        },
        onClose: () =>
          done(new ClusterAdapterError("ADAPTER_CLOSED", "the adapter closed while a request was pending")),
      });
      try {
        send(requestId).catch((err: unknown) => done(toClusterAdapterError(err)));
      } catch (err) {
        done(toClusterAdapterError(err));
      }
    });
  }
}
