import type { Packet } from "../parser/index.js";
import type { EngineClientError } from "./errors.js";
import type { CloseDetails, Transport } from "./transport.js";

// What an engine client session shows its users: the events it emits, its states, why it closed, what the
// server's handshake said. Types only: nothing here reaches the browser bundle.

/** Why a session closed. */
export type EngineCloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "io client disconnect"
  | "parse error";

/** The open packet's JSON (Engine.IO 4 handshake). */
export interface HandshakeData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload?: number;
}

/** Message data as received: text, or binary (Buffer in Node, ArrayBuffer in browsers). */
export type MessageData = string | Uint8Array | ArrayBuffer;

export type EngineClientEvents = {
  /** The handshake completed; messages can flow. */
  open: () => void;
  handshake: (data: HandshakeData) => void;
  message: (data: MessageData) => void;
  /** Alias of `message` (the name socket.io's Manager listens to). */
  data: (data: MessageData) => void;
  /** The server pinged (and we ponged). */
  ping: () => void;
  /** Any packet arrived: proof of life. */
  heartbeat: () => void;
  packet: (packet: Packet) => void;
  packetCreate: (packet: Packet) => void;
  /** Everything written so far has been handed to the transport. */
  drain: () => void;
  flush: () => void;
  upgrading: (transport: Transport) => void;
  upgrade: (transport: Transport) => void;
  upgradeError: (error: EngineClientError) => void;
  error: (error: EngineClientError) => void;
  close: (reason: EngineCloseReason, description?: CloseDetails | EngineClientError) => void;
};

export type EngineReadyState = "opening" | "open" | "closing" | "closed";

/** Options of one `send`. */
export interface SendOptions {
  /** Ask the transport to compress (WebSocket permessage-deflate, when negotiated). Default `true`. */
  compress?: boolean;
}
