// How a server closes and where it stands: open, closing (new connections may be refused), closed (a
// later attach()/listen() opens it again). The sequence: the graceful part when asked for, a close hint
// to every client, every socket leaves with "server shutting down", adapters close, then the engine and
// the hold on the http server.
import type { Clock } from "@volley/engine";
import type { Client } from "./client.js";
import { closeGracefully, type GracefulCloseOptions } from "./graceful-close.js";
import type { Namespace } from "./namespace.js";

/** What a shutdown reaches of its server. */
export interface ShutdownTarget {
  /** The live namespaces. */
  // biome-ignore lint/suspicious/noExplicitAny: any event maps
  namespaces(): Iterable<Namespace<any, any, any, any>>;
  /** The clock of the graceful part's waits. */
  clock(): Clock;
  /** Closes the engine and its sessions. */
  closeEngine(): Promise<void>;
  /** Lets go of the http server (closing it when the server made it). */
  releaseHttp(): Promise<void>;
  /** An error of application code or an adapter: reported, the shutdown goes on. */
  report(err: unknown): void;
}

/** The close state of one server and the sequence that closes it. @internal */
export class ServerShutdown {
  private closing: Promise<void> | undefined;
  private closed = false;
  private refusing = false;

  constructor(private readonly target: ShutdownTarget) {}

  /** Whether a close has begun and not finished. */
  get inProgress(): boolean {
    return this.closing !== undefined && !this.closed;
  }

  /** Whether the server is closed (and not reopened since). */
  get done(): boolean {
    return this.closed;
  }

  /** Whether new connections are refused: a graceful close is under way. */
  get refusingConnections(): boolean {
    return this.refusing;
  }

  /** Starts closing, or returns the close already begun (its options then do not matter). */
  close(graceful: GracefulCloseOptions | boolean | undefined): Promise<void> {
    if (!this.closing)
      this.closing = this.run(graceful || undefined).finally(() => {
        this.closed = true;
      });
    return this.closing;
  }

  /** After a close: open again (the caller gives its namespaces fresh adapters). */
  reopen(): void {
    this.closing = undefined;
    this.closed = false;
    this.refusing = false;
  }

  private async run(graceful: GracefulCloseOptions | true | undefined): Promise<void> {
    const target = this.target;
    const clients = new Set<Client>();
    for (const nsp of target.namespaces())
      for (const socket of nsp.sockets.values()) clients.add(socket.client);
    if (graceful) {
      this.refusing = true;
      try {
        await closeGracefully([...clients], graceful, target.clock());
      } catch (err) {
        target.report(err);
      }
    }
    // A plain close tells each client why too (a close hint; those closed gracefully were told already).
    for (const client of clients) client._advise({ reason: "server shutting down" });
    const adapters: Array<Promise<void> | void> = [];
    for (const nsp of target.namespaces()) {
      for (const socket of [...nsp.sockets.values()]) socket._onclose("server shutting down");
      try {
        adapters.push(nsp.adapter.close());
      } catch (err) {
        target.report(err);
      }
    }
    await Promise.allSettled(adapters);
    await target.closeEngine();
    await target.releaseHttp();
    this.closed = true;
  }
}
