// The server's hold on an http.Server: the engine's request/upgrade handling plus the served client in
// front of it, and the way back. `io.close()` detaches, so the application's server is left as it was
// (its own request listeners, no upgrade listener of a closed engine) and `io.attach(sameServer)` or
// `io.listen()` after `io.close()` starts cleanly.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
// biome-ignore lint/suspicious/noExplicitAny: listeners of any event
type AnyListener = (...args: any[]) => void;

/** What `attach` needs from the engine: engine.io's `attach(server, options)`. */
export interface AttachableEngine {
  attach(server: HttpServer, options?: { destroyUpgrade?: boolean; destroyUpgradeTimeout?: number }): unknown;
}

export class HttpAttachment {
  readonly server: HttpServer;
  private readonly requestBefore: RequestListener[];
  private readonly added: Array<[event: string, listener: AnyListener]> = [];
  private front: RequestListener | undefined;

  /**
   * Attaches `engine` to `server`; `serveFirst(req, res)` sees every request before the engine (the
   * served client lives under the engine's path) and returns true when it answered.
   */
  constructor(
    server: HttpServer,
    engine: AttachableEngine,
    engineOptions: { destroyUpgrade?: boolean; destroyUpgradeTimeout?: number },
    serveFirst: (req: IncomingMessage, res: ServerResponse) => boolean,
  ) {
    this.server = server;
    this.requestBefore = server.listeners("request") as RequestListener[];
    const before = new Map<string, AnyListener[]>();
    for (const event of ["upgrade", "close", "listening"]) {
      before.set(event, server.listeners(event) as AnyListener[]);
    }
    engine.attach(server, engineOptions);
    for (const [event, listeners] of before) {
      for (const listener of server.listeners(event) as AnyListener[]) {
        if (!listeners.includes(listener)) this.added.push([event, listener]);
      }
    }
    const behind = server.listeners("request") as RequestListener[];
    server.removeAllListeners("request");
    const front: RequestListener = (req, res) => {
      if (serveFirst(req, res)) return;
      for (const listener of behind) listener.call(server, req, res);
    };
    this.front = front;
    server.on("request", front);
  }

  /**
   * Detaches, then closes the server: one Volley created (`own`) is closed with its connections and
   * awaited; the application's may hold its own long requests, so it is closed without waiting.
   */
  async close(own: boolean): Promise<void> {
    this.detach();
    const server = this.server;
    if (!server.listening) return;
    if (!own) {
      server.close();
      return;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Gives the server back: its request listeners as they were (plus any added since), no engine listener. */
  detach(): void {
    const front = this.front;
    if (!front) return;
    this.front = undefined;
    const server = this.server;
    const addedSince = (server.listeners("request") as RequestListener[]).filter((l) => l !== front);
    server.removeAllListeners("request");
    for (const listener of [...this.requestBefore, ...addedSince]) server.on("request", listener);
    for (const [event, listener] of this.added) server.removeListener(event, listener);
  }
}
