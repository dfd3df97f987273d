import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { clientAddress } from "./client-address.js";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { type RateLimit, TokenBucket } from "./token-bucket.js";

/** The limits {@link Admission} enforces (resolved options). */
export type AdmissionLimits = Pick<
  ResolvedOptions,
  | "maxConnections"
  | "maxConnectionsPerAddress"
  | "handshakeRatePerAddress"
  | "handshakeRateTotal"
  | "trustedProxies"
  | "exemptAddresses"
  | "connectionRetryAfter"
  | "clock"
>;

/** Buckets are pruned (the full ones forgotten) when their count reaches this, and never exceed the max. */
const PRUNE_AT = 10_000;
const MAX_TRACKED_ADDRESSES = 100_000;

/**
 * The key an address counts under: an IPv4 address itself, an IPv6 address its /64 (one subscriber's
 * allocation: rotating addresses inside it must not multiply the limits).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const bare = address.split("%")[0]!;
  const [head = "", tail] = bare.split("::");
  const high = head === "" ? [] : head.split(":");
  const low = tail === undefined ? [] : tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? high : [...high, ...new Array(8 - high.length - low.length).fill("0"), ...low];
  let key = "";
  for (let i = 0; i < 4; i++) key += `${Number.parseInt(groups[i] ?? "0", 16).toString(16)}:`;
  return `${key}:/64`;
}

/**
 * Admission control of new sessions (handshakes): the connection caps (total and per client address) and
 * the handshake rates (token buckets, per address and total). Checked in one place, before `allowRequest`;
 * a refusal carries a `Retry-After` hint. Requests that name a session (`sid`) are never checked here.
 */
export class Admission {
  private readonly limits: AdmissionLimits;
  /** Open sessions per address key. */
  private readonly perAddress = new Map<string, number>();
  /** The address key each open session counts under. */
  private readonly sessionKeys = new Map<object, string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private totalBucket: TokenBucket | undefined;
  private pruneAt = PRUNE_AT;

  constructor(limits: AdmissionLimits) {
    this.limits = limits;
  }

  /** The address key of a request: its client address (see `trustedProxies`), IPv6 by /64. */
  keyOf(req: IncomingMessage): string {
    return addressKey(clientAddress(req, this.limits.trustedProxies));
  }

  /**
   * Checks a handshake against every limit; takes a token from the rate buckets when it passes.
   * @returns the refusal (429 for a per-address limit, 503 for a total one), or undefined to proceed.
   */
  check(req: IncomingMessage, openSessions: number): EngineRequestError | undefined {
    const limits = this.limits;
    if (openSessions >= limits.maxConnections) {
      return refusal(
        EngineErrorCode.TOO_MANY_CONNECTIONS,
        503,
        `too many connections (maxConnections: ${limits.maxConnections})`,
        limits.connectionRetryAfter,
      );
    }
    const address = clientAddress(req, limits.trustedProxies);
    if (limits.exemptAddresses.has(address)) return undefined;
    const key = addressKey(address);
    if ((this.perAddress.get(key) ?? 0) >= limits.maxConnectionsPerAddress) {
      return refusal(
        EngineErrorCode.TOO_MANY_CONNECTIONS,
        429,
        `too many connections from this address (maxConnectionsPerAddress: ${limits.maxConnectionsPerAddress})`,
        limits.connectionRetryAfter,
        { address: key },
      );
    }
    const now = limits.clock.now();
    const perAddressRate = limits.handshakeRatePerAddress;
    let bucket: TokenBucket | undefined;
    if (perAddressRate !== false) {
      bucket = this.bucketFor(key, perAddressRate, now);
      const wait = bucket.take(perAddressRate, now);
      if (wait > 0) {
        return refusal(
          EngineErrorCode.TOO_MANY_HANDSHAKES,
          429,
          `handshake rate exceeded (handshakeRate.perAddress: ${perAddressRate.rate}/s, burst ${perAddressRate.burst})`,
          wait,
          { address: key },
        );
      }
    }
    const totalRate = limits.handshakeRateTotal;
    if (totalRate !== false) {
      this.totalBucket ??= new TokenBucket(totalRate, now);
      const wait = this.totalBucket.take(totalRate, now);
      if (wait > 0) {
        // Not this address's doing: give its token back.
        if (bucket !== undefined) bucket.tokens += 1;
        return refusal(
          EngineErrorCode.TOO_MANY_HANDSHAKES,
          503,
          `handshake rate exceeded (handshakeRate.total: ${totalRate.rate}/s, burst ${totalRate.burst})`,
          wait,
        );
      }
    }
    return undefined;
  }

  /** A session opened: it counts against its address until {@link closed}. */
  opened(session: object, req: IncomingMessage): void {
    const address = clientAddress(req, this.limits.trustedProxies);
    if (this.limits.exemptAddresses.has(address)) return;
    const key = addressKey(address);
    this.sessionKeys.set(session, key);
    this.perAddress.set(key, (this.perAddress.get(key) ?? 0) + 1);
  }

  /** A session closed. */
  closed(session: object): void {
    const key = this.sessionKeys.get(session);
    if (key === undefined) return;
    this.sessionKeys.delete(session);
    const count = (this.perAddress.get(key) ?? 1) - 1;
    if (count <= 0) this.perAddress.delete(key);
    else this.perAddress.set(key, count);
  }

  /** Number of addresses with a rate bucket (for tests of the memory bound). */
  get trackedAddresses(): number {
    return this.buckets.size;
  }

  private bucketFor(key: string, limit: RateLimit, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket !== undefined) return bucket;
    if (this.buckets.size >= this.pruneAt) this.prune(limit, now);
    bucket = new TokenBucket(limit, now);
    this.buckets.set(key, bucket);
    return bucket;
  }

  /**
   * Forgets full buckets (a new one is identical); past the hard bound, the oldest too (they get a fresh
   * burst, which is the price of bounded memory). Runs when the count doubles, so its cost is amortized.
   */
  private prune(limit: RateLimit, now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(limit, now)) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < MAX_TRACKED_ADDRESSES) break;
      this.buckets.delete(key);
    }
    this.pruneAt = Math.min(MAX_TRACKED_ADDRESSES, Math.max(PRUNE_AT, this.buckets.size * 2));
  }
}

function refusal(
  code: EngineErrorCode,
  status: number,
  message: string,
  retryAfterMs: number,
  context: Record<string, unknown> = {},
): EngineRequestError {
  return new EngineRequestError(code, { ...context, retryAfterMs }, message, status, retryAfterMs);
}
