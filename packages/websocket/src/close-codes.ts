/** RFC 6455 §7.4.1 status codes (and the IANA registry entries 1012–1014). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: never on the wire; reported when a close frame carried no code. */
  NoStatus: 1005,
  /** Reserved: never on the wire; reported when the connection closed without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Reserved: never on the wire; TLS handshake failure. */
  TlsHandshake: 1015,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether `code` may appear in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014 and the
 * registered/private ranges 3000–4999. 1004–1006 and 1015 are reserved and never sent.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}
