/** The session cookie set on the handshake response (for load balancers with cookie-based stickiness). */
export interface CookieOptions {
  /** Cookie name. Default: "io". */
  name?: string;
  /** Cookie path; false omits the attribute. Default: "/". */
  path?: string | false;
  /** HttpOnly attribute. Default: true. */
  httpOnly?: boolean;
  /** SameSite attribute. Default: "lax". */
  sameSite?: "lax" | "strict" | "none" | false;
  /** Secure attribute. Default: false. */
  secure?: boolean;
  /** Domain attribute. Default: none. */
  domain?: string;
  /** Max-Age in seconds. Default: none (a session cookie). */
  maxAge?: number;
}

// RFC 6265 §4.1.1: a cookie-name is a token; the sid is base64url so it never needs escaping.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Serializes the `Set-Cookie` value carrying the session id. */
export function serializeCookie(options: CookieOptions, sid: string): string {
  const name = options.name ?? "io";
  if (!TOKEN.test(name)) throw new TypeError(`cookie name ${JSON.stringify(name)} is not an RFC 6265 token`);
  let cookie = `${name}=${sid}`;
  const path = options.path ?? "/";
  if (path !== false) cookie += `; Path=${path}`;
  if (options.domain !== undefined) cookie += `; Domain=${options.domain}`;
  if (options.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.httpOnly ?? true) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  const sameSite = options.sameSite ?? "lax";
  if (sameSite !== false) cookie += `; SameSite=${sameSite[0]!.toUpperCase()}${sameSite.slice(1)}`;
  return cookie;
}
