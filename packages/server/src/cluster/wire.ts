// Conversions between the server's broadcast options and their wire form, and the audience test
// recovery uses to decide which logged broadcasts a session missed.
import type { BroadcastOptions, Room } from "../adapter.js";
import type { WireOptions } from "./messages.js";

export function toWire(opts: BroadcastOptions): WireOptions {
  const f = opts.flags;
  const flags: WireOptions["flags"] = {};
  if (f?.volatile) flags.volatile = true;
  if (f?.compress !== undefined) flags.compress = f.compress;
  if (f?.timeout !== undefined) flags.timeout = f.timeout;
  return { rooms: [...opts.rooms], except: opts.except ? [...opts.except] : [], flags };
}

export function fromWire(opts: WireOptions): BroadcastOptions {
  const flags: NonNullable<BroadcastOptions["flags"]> = {};
  if (opts.flags.volatile === true) flags.volatile = true;
  if (typeof opts.flags.compress === "boolean") flags.compress = opts.flags.compress;
  if (typeof opts.flags.timeout === "number") flags.timeout = opts.flags.timeout;
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags };
}

/** Whether a broadcast to `opts` reached a socket that was in `joined` (its own id included). */
export function reaches(opts: WireOptions, joined: ReadonlySet<Room>): boolean {
  if (opts.rooms.length > 0 && !opts.rooms.some((room) => joined.has(room))) return false;
  return !opts.except.some((room) => joined.has(room));
}
