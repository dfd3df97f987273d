import { createHash } from "node:crypto";

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** RFC 6455 §4.1: the only protocol version this package speaks. */
export const WEBSOCKET_VERSION = 13;

/** RFC 6455 §4.2.2: `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash("sha1")
    .update(key + WEBSOCKET_GUID)
    .digest("base64");
}

/** RFC 6455 §4.1: the key is base64 of 16 bytes, i.e. 22 characters and "==". */
export function isValidKey(key: unknown): key is string {
  return typeof key === "string" && /^[+/0-9A-Za-z]{22}==$/.test(key);
}

// RFC 7230 §3.2.6 tchar.
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[c.charCodeAt(0)] = 1;
}

export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/** Whether a comma-separated header (`Connection`, `Upgrade`) lists `token`, case-insensitively. */
export function headerHasToken(header: string | string[] | undefined, token: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(",") : header;
  for (const part of value.split(",")) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/**
 * Parses `Sec-WebSocket-Protocol` (RFC 6455 §4.1: a comma list of unique tokens). Returns null when
 * the header is malformed.
 */
export function parseProtocols(header: string | undefined): Set<string> | null {
  const protocols = new Set<string>();
  if (header === undefined) return protocols;
  for (const part of header.split(",")) {
    const protocol = part.trim();
    if (!isToken(protocol) || protocols.has(protocol)) return null;
    protocols.add(protocol);
  }
  return protocols;
}

/** One element of a `Sec-WebSocket-Extensions` list: a name and its parameters in order. */
export interface ExtensionOffer {
  name: string;
  /** `true` stands for a parameter given without a value. */
  params: Array<[name: string, value: string | true]>;
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1: `1#( token *( ";" token [ "=" (token |
 * quoted-string) ] ) )`). Returns null when the header is malformed.
 */
export function parseExtensions(header: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n) {
      const c = header.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] === 0) break;
      i++;
    }
    return header.slice(start, i);
  };
  for (;;) {
    skipSpace();
    const name = readToken();
    if (name === "") return null;
    const offer: ExtensionOffer = { name, params: [] };
    offers.push(offer);
    skipSpace();
    while (header[i] === ";") {
      i++;
      skipSpace();
      const param = readToken();
      if (param === "") return null;
      skipSpace();
      let value: string | true = true;
      if (header[i] === "=") {
        i++;
        skipSpace();
        if (header[i] === '"') {
          i++;
          let quoted = "";
          while (i < n && header[i] !== '"') {
            if (header[i] === "\\") i++;
            if (i < n) quoted += header[i++];
          }
          if (i >= n) return null;
          i++;
          // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
          if (!isToken(quoted)) return null;
          value = quoted;
        } else {
          value = readToken();
          if (value === "") return null;
        }
        skipSpace();
      }
      offer.params.push([param, value]);
    }
    if (i >= n) return offers;
    if (header[i] !== ",") return null;
    i++;
  }
}

/** Formats one extension element, e.g. `permessage-deflate; client_max_window_bits=10`. */
export function formatExtension(offer: ExtensionOffer): string {
  let out = offer.name;
  for (const [name, value] of offer.params) out += value === true ? `; ${name}` : `; ${name}=${value}`;
  return out;
}
