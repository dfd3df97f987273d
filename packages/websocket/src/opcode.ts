/** RFC 6455 §5.2 frame opcodes: the one place these numbers live. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 6455 §5.5: control frames have the high bit of the opcode set. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** RFC 6455 §5.2: 0x3–0x7 and 0xB–0xF are reserved; anything not listed above is unknown. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= Opcode.Binary || (opcode >= Opcode.Close && opcode <= Opcode.Pong);
}

/** RFC 6455 §5.5: control frame payloads are at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD = 125;
