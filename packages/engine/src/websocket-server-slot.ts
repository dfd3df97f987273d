import type { IncomingMessage } from "node:http";
import type { ResolvedOptions } from "./options.js";
import { DefaultWebSocketServer } from "./transports/default-websocket.js";
import type { WebSocketServerLike } from "./transports/websocket-like.js";

/**
 * The engine's WebSocket server (`wsEngine`, or `@volley/websocket`'s): made at the first upgrade, closed
 * with the sessions and made again at the next upgrade, so an engine whose HTTP server closes and listens
 * again keeps serving.
 */
export class WebSocketServerSlot {
  private wss: WebSocketServerLike | undefined;
  private readonly options: ResolvedOptions;
  /** Adds header lines to a 101 answer (cookie, `headers` listeners). */
  private readonly onHeaders: (lines: string[], req: IncomingMessage) => void;

  constructor(options: ResolvedOptions, onHeaders: (lines: string[], req: IncomingMessage) => void) {
    this.options = options;
    this.onHeaders = onHeaders;
  }

  /** The server, made now if needed; undefined when no WebSocket implementation is available. */
  get(): WebSocketServerLike | undefined {
    if (this.wss === undefined) {
      const WebSocketServer = this.options.wsEngine ?? DefaultWebSocketServer;
      if (WebSocketServer === undefined) return undefined;
      const wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        maxPayload: this.options.maxHttpBufferSize,
        perMessageDeflate: this.options.perMessageDeflate,
      });
      wss.on?.("headers", this.onHeaders);
      this.wss = wss;
    }
    return this.wss;
  }

  /** Closes the server if there is one; the next {@link get} makes a new one. */
  async close(): Promise<void> {
    const wss = this.wss;
    this.wss = undefined;
    if (wss?.close !== undefined) await new Promise<void>((resolve) => wss.close!(() => resolve()));
  }
}
