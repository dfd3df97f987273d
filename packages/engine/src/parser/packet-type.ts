/**
 * Engine.IO protocol 4 packet types, keyed by name, valued by their single-character wire prefix.
 * This object is the only place in Volley where these digits appear.
 */
export const PacketType = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
} as const;

export type PacketTypeName = keyof typeof PacketType;

const NAME_BY_PREFIX: Record<string, PacketTypeName> = {};
for (const name of Object.keys(PacketType) as PacketTypeName[]) NAME_BY_PREFIX[PacketType[name]] = name;

/** The packet type named by a wire prefix, or undefined when the prefix is not a packet type. */
export function packetTypeOf(prefix: string): PacketTypeName | undefined {
  return NAME_BY_PREFIX[prefix];
}

/** Engine.IO protocol revision spoken by this codec (the `EIO` query parameter). */
export const PROTOCOL_VERSION = 4;

/** Separates packets in an HTTP long-polling payload (ASCII record separator). */
export const RECORD_SEPARATOR = "\x1e";
