// The acknowledgements a socket awaits from its client: one callback per ack id, optionally bounded by a
// timeout on the server's clock. Created by the socket on its first emit with an ack, so an idle
// socket holds none.
import type { Clock } from "@volley/engine";
import type { ServerCounters } from "./metrics.js";
import type { AnyListener } from "./socket-events.js";

/** The counters the bookkeeping moves: one request per registration, one timeout per expiry. */
export type AckCounters = Pick<ServerCounters, "acksRequested" | "acksTimedOut">;

/** Callbacks waiting for the client's ACK packets, by ack id. @internal */
export class PendingAcks {
  private readonly byId = new Map<number, AnyListener>();

  /**
   * @param counters the server's counters (requests and timeouts are counted here)
   * @param owner `this` of every callback: the socket, as socket.io calls them
   */
  constructor(
    private readonly counters: AckCounters,
    private readonly owner: unknown,
  ) {}

  /** How many acknowledgements are still awaited. */
  get size(): number {
    return this.byId.size;
  }

  /** Awaits the ACK `id`; `fn` gets its arguments as they are. */
  register(id: number, fn: AnyListener): void {
    this.counters.acksRequested++;
    this.byId.set(id, fn);
  }

  /**
   * Awaits the ACK `id` for at most `timeout` ms of `clock`: `fn` gets an error first, `null` when the
   * client answered in time or a timeout error (then nothing more) when it did not.
   */
  registerWithTimeout(id: number, fn: AnyListener, timeout: number, clock: Clock): void {
    const owner = this.owner;
    const timer = clock.setTimeout(
      () => {
        this.byId.delete(id);
        this.counters.acksTimedOut++;
        fn.call(owner, new Error("operation has timed out"));
      },
      timeout,
      undefined,
    );
    this.register(id, (...args: unknown[]) => {
      clock.clearTimeout(timer);
      fn.call(owner, null, ...args);
    });
  }

  /** The callback awaiting ACK `id`, removed from the pending ones; undefined if none awaits it. */
  take(id: number): AnyListener | undefined {
    const fn = this.byId.get(id);
    if (fn !== undefined) this.byId.delete(id);
    return fn;
  }
}
