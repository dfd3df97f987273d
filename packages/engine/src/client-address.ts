import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) counts as `1.2.3.4`. */
function normalize(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Addresses whose answer {@link AddressSet.has} remembers; past it the memory starts over. */
const MEMO_LIMIT = 4096;

/** A set of addresses and CIDR ranges (`"10.0.0.0/8"`, `"::1"`, `"fd00::/8"`). */
export class AddressSet {
  private readonly list = new BlockList();
  /**
   * Answers already looked up: `BlockList.check` builds a SocketAddress per call, and every handshake asks
   * about its client address more than once (clients of one address ask the same).
   */
  private readonly memo = new Map<string, boolean>();
  readonly size: number;

  /** @throws TypeError naming `option` when an entry is not an IP address or CIDR range. */
  constructor(entries: readonly string[], option: string) {
    if (!Array.isArray(entries)) throw new TypeError(`option ${option} must be an array of addresses/CIDRs`);
    for (const entry of entries) {
      const [address = "", prefix] = typeof entry === "string" ? entry.split("/") : [];
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const max = family === 4 ? 32 : 128;
      if (family === 0 || (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= max))) {
        throw new TypeError(`option ${option}: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
      }
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, bits, type);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    let found = this.memo.get(address);
    if (found === undefined) {
      const family = isIP(address);
      found = family !== 0 && this.list.check(address, family === 4 ? "ipv4" : "ipv6");
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(address, found);
    }
    return found;
  }
}

/**
 * The address a request counts against in the per-address limits. The TCP peer's, unless that peer is a
 * trusted proxy: then `X-Forwarded-For` is read from the right (each proxy appends the address it saw), past
 * every trusted proxy, and the first other address is the client. Entries further left are whatever the
 * client claimed, so they are never used. Without trusted proxies the header is ignored.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: AddressSet): string {
  let address = normalize(req.socket?.remoteAddress ?? "");
  if (!trustedProxies.has(address)) return address;
  const header = req.headers["x-forwarded-for"];
  if (header === undefined) return address;
  const hops = (Array.isArray(header) ? header.join(",") : header).split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!.trim());
    // A malformed entry ends the chain: the last trusted hop is the best we know.
    if (isIP(hop) === 0) return address;
    address = hop;
    if (!trustedProxies.has(address)) return address;
  }
  return address;
}
