// permessage-deflate's parameters (RFC 7692 §5–§7): the options, their validation, the client's
// offer, the server's choice among offers and the client's check of the server's response.
import { WebSocketError } from "./errors.js";
import type { ExtensionOffer } from "./handshake.js";
import { DEFAULT_CONCURRENCY_LIMIT } from "./zlib-limiter.js";

/** RFC 7692 §7: the extension's registered name. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** permessage-deflate settings (RFC 7692). Disabled on the server by default, offered by the client. */
export interface PerMessageDeflateOptions {
  /** Server: resets its compressor after every message and says so. Client: asks the server to. Default `false`. */
  serverNoContextTakeover?: boolean;
  /** Server: tells the client to reset its compressor per message. Client: offers to do so. Default `false`. */
  clientNoContextTakeover?: boolean;
  /**
   * Server: the largest LZ77 window (8–15 bits) the server compresses with. Client: asks the server for
   * at most this. Default: not limited (15).
   */
  serverMaxWindowBits?: number;
  /**
   * Server: limits the client's window (8–15) when the client offered `client_max_window_bits`.
   * Client: `true` (default) offers `client_max_window_bits` without a value; a number offers that
   * limit; `false` leaves the parameter out.
   */
  clientMaxWindowBits?: number | boolean;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Passed to `zlib.createDeflateRaw` (`level`, `memLevel`, `strategy`). Default zlib's. */
  zlibDeflateOptions?: { level?: number; memLevel?: number; strategy?: number };
  /**
   * Most zlib operations (a message's compression, a frame's inflation) running at once: per server
   * for its connections, per process for clients. Others wait in order. Default 10.
   */
  concurrencyLimit?: number;
}

/** What was agreed on for one connection. Window sizes are 15 when not limited. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const DEFAULT_THRESHOLD = 1024;

function isWindowBits(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 8 && value <= 15;
}

function parseWindowBits(value: string | true): number | null {
  if (value === true || !/^(?:[89]|1[0-5])$/.test(value)) return null;
  return Number(value);
}

/** Checks option values early so that a typo fails at construction, not at the first handshake. */
export function validateDeflateOptions(options: PerMessageDeflateOptions): void {
  const { serverMaxWindowBits, clientMaxWindowBits, threshold, concurrencyLimit } = options;
  if (serverMaxWindowBits !== undefined && !isWindowBits(serverMaxWindowBits)) {
    throw new WebSocketError(
      "INVALID_ARGUMENT",
      "perMessageDeflate.serverMaxWindowBits must be an integer 8–15",
    );
  }
  if (
    clientMaxWindowBits !== undefined &&
    typeof clientMaxWindowBits !== "boolean" &&
    !isWindowBits(clientMaxWindowBits)
  ) {
    throw new WebSocketError(
      "INVALID_ARGUMENT",
      "perMessageDeflate.clientMaxWindowBits must be a boolean or 8–15",
    );
  }
  if (threshold !== undefined && !(threshold >= 0)) {
    throw new WebSocketError("INVALID_ARGUMENT", "perMessageDeflate.threshold must be a number ≥ 0");
  }
  if (concurrencyLimit !== undefined && !(Number.isInteger(concurrencyLimit) && concurrencyLimit >= 1)) {
    throw new WebSocketError("INVALID_ARGUMENT", "perMessageDeflate.concurrencyLimit must be an integer ≥ 1");
  }
}

/** The `concurrencyLimit` in effect for these options. */
export function concurrencyLimitOf(options: PerMessageDeflateOptions): number {
  return options.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT;
}

/**
 * Server side of RFC 7692 §5/§7.1: takes the first acceptable `permessage-deflate` offer (offers with
 * unknown, repeated or out-of-range parameters are declined) and returns the agreed parameters and
 * the response element, or null when nothing is acceptable.
 */
export function acceptOffer(
  offers: ExtensionOffer[],
  options: PerMessageDeflateOptions,
): { params: DeflateParams; response: ExtensionOffer } | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const seen = new Set<string>();
    let valid = true;
    let serverNoContextTakeover = false;
    let clientNoContextTakeover = false;
    let serverMaxWindowBits: number | null = null;
    let clientMaxWindowBits: number | true | null = null;
    for (const [name, value] of offer.params) {
      if (seen.has(name)) valid = false;
      seen.add(name);
      if (name === "server_no_context_takeover" && value === true) serverNoContextTakeover = true;
      else if (name === "client_no_context_takeover" && value === true) clientNoContextTakeover = true;
      else if (name === "server_max_window_bits") {
        serverMaxWindowBits = parseWindowBits(value);
        if (serverMaxWindowBits === null) valid = false;
      } else if (name === "client_max_window_bits") {
        clientMaxWindowBits = value === true ? true : parseWindowBits(value);
        if (clientMaxWindowBits === null) valid = false;
      } else valid = false;
      if (!valid) break;
    }
    if (!valid) continue;

    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
    const params: DeflateParams = {
      serverNoContextTakeover: serverNoContextTakeover || options.serverNoContextTakeover === true,
      clientNoContextTakeover: clientNoContextTakeover || options.clientNoContextTakeover === true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    if (params.serverNoContextTakeover) response.params.push(["server_no_context_takeover", true]);
    if (params.clientNoContextTakeover) response.params.push(["client_no_context_takeover", true]);
    const ownLimit = options.serverMaxWindowBits ?? 15;
    if (serverMaxWindowBits !== null || ownLimit < 15) {
      params.serverMaxWindowBits = Math.min(ownLimit, serverMaxWindowBits ?? 15);
      response.params.push(["server_max_window_bits", String(params.serverMaxWindowBits)]);
    }
    // RFC 7692 §7.1.2.2: the server may only limit the client's window if the client offered to accept it.
    if (clientMaxWindowBits !== null) {
      const offered = clientMaxWindowBits === true ? 15 : clientMaxWindowBits;
      const wanted = typeof options.clientMaxWindowBits === "number" ? options.clientMaxWindowBits : offered;
      params.clientMaxWindowBits = Math.min(offered, wanted);
      if (params.clientMaxWindowBits < 15) {
        response.params.push(["client_max_window_bits", String(params.clientMaxWindowBits)]);
      }
    }
    return { params, response };
  }
  return null;
}

/** Client side: the offer sent in `Sec-WebSocket-Extensions`. */
export function clientOffer(options: PerMessageDeflateOptions): ExtensionOffer {
  const offer: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
  if (options.serverNoContextTakeover) offer.params.push(["server_no_context_takeover", true]);
  if (options.clientNoContextTakeover) offer.params.push(["client_no_context_takeover", true]);
  if (options.serverMaxWindowBits !== undefined) {
    offer.params.push(["server_max_window_bits", String(options.serverMaxWindowBits)]);
  }
  const cmwb = options.clientMaxWindowBits ?? true;
  if (cmwb === true) offer.params.push(["client_max_window_bits", true]);
  else if (typeof cmwb === "number") offer.params.push(["client_max_window_bits", String(cmwb)]);
  return offer;
}

/**
 * Client side of RFC 7692 §7.1: checks the server's response against what was offered. Returns the
 * agreed parameters, or a reason string when the response must fail the connection.
 */
export function acceptResponse(
  response: ExtensionOffer,
  options: PerMessageDeflateOptions,
): DeflateParams | string {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const seen = new Set<string>();
  for (const [name, value] of response.params) {
    if (seen.has(name)) return `repeated parameter ${name}`;
    seen.add(name);
    if (name === "server_no_context_takeover" && value === true) params.serverNoContextTakeover = true;
    else if (name === "client_no_context_takeover" && value === true) params.clientNoContextTakeover = true;
    else if (name === "server_max_window_bits") {
      const bits = parseWindowBits(value);
      if (bits === null) return "invalid server_max_window_bits";
      if (options.serverMaxWindowBits !== undefined && bits > options.serverMaxWindowBits) {
        return "server_max_window_bits exceeds the offered limit";
      }
      params.serverMaxWindowBits = bits;
    } else if (name === "client_max_window_bits") {
      const offered = options.clientMaxWindowBits ?? true;
      if (offered === false) return "client_max_window_bits was not offered";
      const bits = parseWindowBits(value);
      if (bits === null) return "invalid client_max_window_bits";
      if (typeof offered === "number" && bits > offered)
        return "client_max_window_bits exceeds the offered limit";
      params.clientMaxWindowBits = bits;
    } else return `unknown parameter ${name}`;
  }
  if (options.serverNoContextTakeover && !params.serverNoContextTakeover) {
    return "server_no_context_takeover was requested but not accepted";
  }
  if (
    typeof options.clientMaxWindowBits === "number" &&
    params.clientMaxWindowBits > options.clientMaxWindowBits
  ) {
    // The client promised not to exceed its own offer whatever the server said.
    params.clientMaxWindowBits = options.clientMaxWindowBits;
  }
  return params;
}
