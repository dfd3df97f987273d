import { WebSocketError } from "./errors.js";

// Every per-connection input limit and its default, in one place: the server, the client and the
// frame reader all read them from here.

/** Default `maxPayload`: the largest message in bytes (after inflation), 1 MiB. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Default `maxFragments`: the most frames one message may be split into. Memory tracks bytes (small
 * fragments are gathered into shared buffers), but each frame still costs parsing work, so a message
 * of a million one-byte frames is refused long before `maxPayload` would be reached.
 */
export const DEFAULT_MAX_FRAGMENTS = 16_384;

/**
 * Default `maxUnparsedBytes`: how many received bytes a connection may hold unparsed (input that
 * arrives while a compressed frame is being inflated). Past it, reading from the socket pauses until
 * the parser catches up, so TCP flow control holds the peer back.
 */
export const DEFAULT_MAX_UNPARSED_BYTES = 64 * 1024;

/** Checks an optional limit option: a number ≥ 0 (0 disables the limit), else throws with its name. */
export function limitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0))
    throw new WebSocketError("INVALID_ARGUMENT", `${name} must be a number ≥ 0`);
  return value;
}
