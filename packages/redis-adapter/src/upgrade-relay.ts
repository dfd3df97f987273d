// Relays a WebSocket upgrade to the server that owns its session: a TCP connection to the owner
// gets the upgrade request's head, then bytes flow both ways until either side closes.
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { relayedUpgradeHead } from "./forwarded-headers.js";
import type { PeerAddress } from "./peer-address.js";
import type { RelayContext } from "./request-relay.js";

/** An open relayed connection, as the forwarding layer tracks it. */
export interface Tunnel {
  readonly sid: string;
  readonly owner: string;
  destroy(): void;
}

/**
 * Connects `socket` (an upgrade request for `sid`) to `target`. When the owner cannot be reached,
 * `refuse()` lets the engine answer on the socket. `onClose` runs once when the tunnel ends.
 */
export function relayUpgrade(
  sid: string,
  owner: string,
  target: PeerAddress,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  refuse: () => void,
  ctx: RelayContext,
  onClose: (tunnel: Tunnel) => void,
): Tunnel {
  const upstream: Socket = connect({ host: target.host, port: target.port, noDelay: true });
  let connected = false;
  let closed = false;
  const tunnel: Tunnel = {
    sid,
    owner,
    destroy() {
      upstream.destroy();
      socket.destroy();
    },
  };
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    onClose(tunnel);
  };
  upstream.setTimeout(ctx.connectTimeout, () =>
    upstream.destroy(new Error(`connecting to ${owner} took over ${ctx.connectTimeout} ms`)),
  );
  upstream.once("connect", () => {
    connected = true;
    upstream.setTimeout(0);
    if (socket.destroyed) {
      close();
      return;
    }
    upstream.write(relayedUpgradeHead(req, ctx.nodeId));
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  upstream.on("error", () => {
    if (!connected && !closed && !socket.destroyed) {
      closed = true;
      onClose(tunnel);
      ctx.onUnreachable(owner);
      refuse();
      return;
    }
    socket.destroy();
  });
  upstream.on("close", () => {
    // A refused tunnel leaves the socket to the engine's answer; a broken one ends the client's too.
    if (connected) socket.destroy();
    close();
  });
  socket.on("error", () => upstream.destroy());
  socket.on("close", () => {
    if (connected || !closed) close();
  });
  return tunnel;
}
