import type { Packet } from "../parser/index.js";
import { encodePacket } from "./packet-codec.js";
import { nodeWebSocketOptions } from "./node-request.js";
import { loadNodeWebSocket } from "./node-websocket.js";
import { Transport } from "./transport.js";
import {
  isNode,
  type WebSocketConstructor,
  type WebSocketConstructorOptions,
  type WebSocketLike,
} from "./websocket-constructor.js";

/** WebSocket transport: one Engine.IO packet per frame, binary as binary frames unless `forceBase64`. */
export class WebSocketTransport extends Transport {
  get name(): "websocket" {
    return "websocket";
  }
  #ws: WebSocketLike | undefined;

  protected _doOpen(): void {
    let chosen = this._opts.WebSocket;
    if (isNode)
      // Node: our WebSocket unless one is given, with headers, deflate, agent, TLS and autoUnref.
      Promise.all([chosen ?? loadNodeWebSocket(), nodeWebSocketOptions(this._opts)]).then(
        ([ctor, options]) => this.#create(ctor, options),
        (error) => this._onError("WEBSOCKET_ERROR", error),
      );
    else {
      chosen ??= globalThis.WebSocket as unknown as WebSocketConstructor;
      if (chosen) this.#create(chosen);
      else this._onError("NO_TRANSPORTS", "WebSocket");
    }
  }

  #create(WebSocketImpl: WebSocketConstructor, nodeOptions?: WebSocketConstructorOptions): void {
    if (this.readyState !== "opening") return; // closed while loading
    const opts = this._opts;
    let ws: WebSocketLike;
    try {
      // Node implementations take headers, deflate and connection options as a third argument.
      ws = new WebSocketImpl(this._uri("ws", opts.timestampRequests), opts.protocols, nodeOptions);
    } catch (error) {
      this._onError("WEBSOCKET_ERROR", error);
      return;
    }
    // Node implementations hand out Buffers directly (what Node users get from socket.io); browsers ArrayBuffers.
    ws.binaryType = isNode ? "nodebuffer" : "arraybuffer";
    if (isNode && ws.binaryType !== "nodebuffer") ws.binaryType = "arraybuffer";
    ws.onopen = () => this._onOpen();
    ws.onmessage = (event: { data: string | ArrayBuffer | Uint8Array }) => this._onData(event.data);
    // Node only: a refused handshake's status and the wait it asks for (browsers hide both; the bundle
    // keeps only the second branch).
    ws.onerror = isNode
      ? (event: unknown) => {
          this.retryAfter = ws.refusal?.retryAfter;
          this._onError("WEBSOCKET_ERROR", ws.refusal?.status ?? event, ws.refusal?.body);
        }
      : (event: unknown) => this._onError("WEBSOCKET_ERROR", event);
    ws.onclose = (event: unknown) => {
      if (this.readyState !== "closed")
        this._onClose({ description: "websocket connection closed", context: event });
    };
    this.#ws = ws;
  }

  protected _write(packets: Packet[]): void {
    this.writable = false;
    for (const packet of packets) {
      try {
        this.#ws?.send(encodePacket(packet, !this._opts.forceBase64) as string);
      } catch {
        // The socket is closing; its close event reports that.
      }
    }
    // The WebSocket queues internally; being writable again after this turn lets the session batch.
    queueMicrotask(() => {
      if (this.readyState !== "closed") {
        this.writable = true;
        this._emit("drain");
      }
    });
  }

  protected _doClose(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep a handler: some implementations throw an unhandled error event otherwise.
    ws.onerror = () => {};
    // Only CONNECTING (0) or OPEN (1) need closing. A failed or closing socket is already on its way out,
    // and @volley/websocket's close() in that state starts a close timer that is never cleared.
    if (ws.readyState < 2) ws.close();
  }
}
