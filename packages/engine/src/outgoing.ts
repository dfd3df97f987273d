import type { Packet } from "./parser/index.js";
import type { PreparedPacket } from "./prepared-packet.js";

/** A packet queued on a session, with what the sender asked for. */
export interface OutgoingPacket extends Packet {
  /** permessage-deflate for this message (websocket only); undefined = the transport's default. */
  compress?: boolean;
  /** Called once the packet has been handed to the network. */
  cb?: () => void;
}

/** One entry of a session's write buffer. */
export type Outgoing = OutgoingPacket | PreparedPacket;
