// Every option of session forwarding, its default, and the one place it is checked.
import type { Server as HttpServer } from "node:http";
import { parseAddress } from "./peer-address.js";

/** Options of {@link SessionForwarding} / `createSessionForwarding`. */
export interface SessionForwardingOptions {
  /** Prefix of the Redis keys of the node directory; use the adapter's `key`. Default `"volley"`. */
  key?: string;
  /**
   * The http server Volley is attached to: once it listens, its address is what the other servers
   * dial (bound to every interface: the machine's first non-internal IPv4). Needed unless
   * `advertiseAddress` is given.
   */
  server?: HttpServer;
  /** "host:port" the other servers reach this one at (behind NAT, several interfaces…). Default: from `server`. */
  advertiseAddress?: string;
  /** How long this server's directory entry lives unless refreshed (every third of it), ms. Default 15000. */
  nodeTtl?: number;
  /** How long connecting to the owner of a session may take before the request is refused, ms. Default 3000. */
  connectTimeout?: number;
  /** Most owner addresses kept in memory (the oldest is forgotten first). Default 1024. */
  maxCachedNodes?: number;
}

/** Options after defaults and checks. @internal */
export interface ResolvedForwardingOptions {
  key: string;
  server: HttpServer | undefined;
  advertiseAddress: string | undefined;
  nodeTtl: number;
  connectTimeout: number;
  maxCachedNodes: number;
}

/** @throws TypeError naming the option when a value is out of range. */
export function resolveForwardingOptions(opts: SessionForwardingOptions = {}): ResolvedForwardingOptions {
  const key = opts.key ?? "volley";
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError(`option key must be a non-empty string (got ${JSON.stringify(key)})`);
  }
  const advertiseAddress = opts.advertiseAddress;
  if (advertiseAddress !== undefined && parseAddress(advertiseAddress) === undefined) {
    throw new TypeError(
      `option advertiseAddress must be "host:port" (got ${JSON.stringify(advertiseAddress)})`,
    );
  }
  if (advertiseAddress === undefined && opts.server === undefined) {
    throw new TypeError("option server or option advertiseAddress is required");
  }
  const maxCachedNodes = opts.maxCachedNodes ?? 1024;
  if (!Number.isSafeInteger(maxCachedNodes) || maxCachedNodes <= 0) {
    throw new TypeError(`option maxCachedNodes must be a positive integer (got ${String(maxCachedNodes)})`);
  }
  return {
    key,
    server: opts.server,
    advertiseAddress,
    nodeTtl: positive("nodeTtl", opts.nodeTtl, 15_000),
    connectTimeout: positive("connectTimeout", opts.connectTimeout, 3000),
    maxCachedNodes,
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive finite number (got ${String(value)})`);
  }
  return value;
}
