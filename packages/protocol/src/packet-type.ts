/**
 * Socket.IO protocol 5 packet types — the one place these wire numbers live.
 * https://github.com/socketio/socket.io-protocol#exchange-protocol
 */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;

export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** One Socket.IO packet, as handed to the encoder and returned by the decoder. */
export interface Packet {
  type: PacketType;
  /** Namespace; `"/"` is the main namespace and is omitted on the wire. */
  nsp: string;
  /** Payload: an object for CONNECT, an array for EVENT/ACK, `{ message, data? }` for CONNECT_ERROR. */
  data?: unknown;
  /** Acknowledgement id (EVENT asks for an ACK with the same id). */
  id?: number;
  /** Number of binary attachments (BINARY_EVENT / BINARY_ACK only); set by the codec. */
  attachments?: number;
}

/** The protocol revision this codec speaks. */
export const protocol = 5;
