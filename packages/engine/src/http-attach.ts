import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** Options of `EngineServer.attach`. */
export interface AttachOptions {
  /** Destroy upgrade requests outside the engine's path that nobody answered (engine.io's). Default: true. */
  destroyUpgrade?: boolean;
  /** Milliseconds before destroying an upgrade request nobody else handled. Default: 1000. */
  destroyUpgradeTimeout?: number;
}

/** What {@link attachToHttpServer} routes to: the engine's side of the attachment. */
export interface AttachTarget {
  /** Whether a request is the engine's (under its path). */
  matches(req: IncomingMessage): boolean;
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The HTTP server closed. */
  onHttpClose(): void;
}

/**
 * Puts `target` in front of `server`: its requests and upgrades go to it, every other request to the
 * `request` listeners the server had before, every other upgrade to the other `upgrade` listeners (and is
 * destroyed after a while if none answered, unless `destroyUpgrade` is false).
 */
export function attachToHttpServer(server: HttpServer, target: AttachTarget, options: AttachOptions): void {
  const destroyUpgrade = options.destroyUpgrade ?? true;
  const destroyUpgradeTimeout = options.destroyUpgradeTimeout ?? 1000;
  const previous = server.listeners("request").slice() as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (target.matches(req)) {
      target.handleRequest(req, res);
      return;
    }
    for (const listener of previous) listener.call(server, req, res);
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (target.matches(req)) {
      target.handleUpgrade(req, socket, head);
      return;
    }
    if (!destroyUpgrade) return;
    // Nobody else may want it: do not leave the socket open forever.
    setTimeout(() => {
      if (socket.writable && (socket as { bytesWritten?: number }).bytesWritten === 0) socket.destroy();
    }, destroyUpgradeTimeout).unref();
  });
  server.on("close", () => target.onHttpClose());
}
