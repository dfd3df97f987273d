// What the server gives an adapter: the one interface between an adapter (in memory, Redis, any
// other backend) and the namespace it serves. Adapters never reach into the server's, namespace's
// or sockets' internals; this module is the single place that does, on their behalf.
import type { Packet } from "@volley/protocol";
import type { PrivateSessionId, SocketId } from "./adapter.js";
import type { Namespace } from "./namespace.js";
import type { PreparedBroadcast } from "./server-engine.js";
import type { RecoverySettings } from "./server-options.js";
import type { Socket } from "./socket.js";

/** Connection-state recovery settings of the server, as an adapter needs them. */
export interface AdapterRecoverySettings {
  /** How long a disconnected socket's session and the packets it missed are kept, ms. */
  readonly maxDisconnectionDuration: number;
  /** Most packets the recovery log keeps. */
  readonly maxPackets: number;
  /** Most encoded bytes the recovery log keeps. */
  readonly maxBytes: number;
  /** The server's clock. */
  readonly now: () => number;
}

/**
 * The namespace as an adapter sees it. Given to every adapter as `this.host`; a new backend needs
 * nothing else from the server.
 */
export interface AdapterHost {
  /** Name of the namespace ("/", "/admin", …). */
  readonly name: string;
  /** Connection-state recovery settings; undefined when recovery is off. */
  readonly recovery: AdapterRecoverySettings | undefined;
  /** The connected sockets of this namespace on this server. */
  readonly sockets: ReadonlyMap<SocketId, Socket>;
  /**
   * Encodes a packet once, for every transport and every recipient; `compress` is the broadcast's
   * `compress` flag (with shared compression on, WebSocket frames are deflated once unless it is false).
   */
  prepare(packet: Packet, compress?: boolean): PreparedBroadcast;
  /** The next acknowledgement id of the namespace (broadcasts with acks share the sockets' ids). */
  nextAckId(): number;
  /** Private session id of a socket (recovery on), the key of its stored session. */
  privateSessionId(socket: Socket): PrivateSessionId | undefined;
  /** Hands an event another server emitted (`serverSideEmit`) to this namespace's listeners. */
  serverSideEvent(args: unknown[]): void;
  /** Whether the server has "error" listeners. */
  hasErrorListeners(): boolean;
  /** Reports an error to the server's "error" listeners, else as a process warning. */
  reportError(err: unknown): void;
}

/** The host of the adapter of `nsp`. */
export function hostFor(nsp: Namespace): AdapterHost {
  const server = nsp.server;
  const recovery: RecoverySettings | undefined = server._recovery;
  return {
    name: nsp.name,
    recovery,
    sockets: nsp.sockets,
    prepare: (packet, compress) => server._prepare(packet, compress),
    nextAckId: () => nsp._nextAckId(),
    privateSessionId: (socket) => socket._pid,
    serverSideEvent: (args) => nsp._onServerSideEmit(args),
    hasErrorListeners: () => server.listenerCount("error") > 0,
    reportError: (err) => server._reportError(err),
  };
}
