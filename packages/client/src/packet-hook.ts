// The Manager's packet seam for add-ons (`@volley/client/exactly-once`): hooks that see every Socket.IO
// packet of one connection, written or received, before any Socket does, and the connection's loss. The
// main bundle only calls them: `manager.hooks` stays empty without an add-on.
import type { Packet } from "@volley/protocol";

/** A packet as a Socket hands it to its Manager (`options.compress` goes to the engine). */
export type OutPacket = Packet & { options?: { compress?: boolean } };

/**
 * @internal A hook on one Manager's packets, in `manager.hooks`: the add-ons' seam, not for applications.
 * Hooks run in the order of that list. A hook sees the packets of every namespace of the connection.
 */
export interface PacketHook {
  /**
   * A packet about to be encoded and written; the hook may change it. Every write, also one the Manager
   * then refuses (`PAYLOAD_TOO_LARGE`: its acknowledgement is failed at once) or one the engine drops
   * (connection lost).
   */
  writing(packet: OutPacket): void;
  /** A packet received, before any Socket sees it; `true` drops it (the later hooks do not see it either). */
  received(packet: Packet): boolean;
  /** The connection closed: called before the Manager's `close` event, so before the Sockets hear of it. */
  closed(): void;
}
