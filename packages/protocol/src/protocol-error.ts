/** Why a packet was refused; stable strings for programs, the message is for humans. */
export type ProtocolErrorCode =
  | "INVALID_PACKET_TYPE"
  | "INVALID_ATTACHMENTS"
  | "TOO_MANY_ATTACHMENTS"
  | "INVALID_NAMESPACE"
  | "INVALID_ACK_ID"
  | "INVALID_JSON"
  | "TOO_DEEP"
  | "INVALID_PAYLOAD"
  | "UNEXPECTED_BINARY"
  | "UNEXPECTED_TEXT"
  | "INVALID_CHUNK"
  | "DECODER_DESTROYED"
  | "UNENCODABLE";

/**
 * A malformed Socket.IO packet. The server turns it into a "parse error" disconnect of that one
 * connection; nothing else is affected.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
