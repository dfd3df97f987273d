// The options of attachAdmin, checked and with their defaults. There are no default credentials:
// without a username and a password (or its hash) the admin view refuses to start.
import type { ScryptCost } from "./credentials.js";

/** Options of {@link attachAdmin}. */
export interface AdminOptions {
  /** Operator name. Required. */
  username: string;
  /** Operator password (at least 8 characters), hashed with scrypt at start-up. This or `passwordHash`. */
  password?: string;
  /** The output of {@link hashPassword}, to keep no plain password in the configuration. */
  passwordHash?: string;
  /** HTTP path of the page. Default "/admin". */
  path?: string;
  /** Namespace the page connects to. Default "/admin". */
  namespace?: string;
  /** Milliseconds between pushed updates (and chart samples). Default 2000. */
  updateInterval?: number;
  /** Least milliseconds between two updates pushed after connections/disconnections. Default 250. */
  eventThrottle?: number;
  /** Chart samples kept. Default 150 (5 minutes at the default interval). */
  historySize?: number;
  /** Most sockets listed per namespace in an update (the counts stay exact). Default 500. */
  maxSocketsListed?: number;
  /** Most rooms listed per namespace (the most populated first) and per socket. Default 200. */
  maxRoomsListed?: number;
  /** Failed logins allowed per client address within `failedLoginWindow`. Default 5. */
  maxFailedLogins?: number;
  /** Window of `maxFailedLogins`, ms. Default 60_000. */
  failedLoginWindow?: number;
  /** Client addresses whose failures are tracked at once (the oldest is forgotten first). Default 10_000. */
  maxTrackedAddresses?: number;
  /** Credential checks (scrypt derivations) running at once, all addresses together; beyond, refused. Default 4. */
  maxConcurrentLogins?: number;
  /** Wall clock for "connected since" and the chart's time axis, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** scrypt cost used when hashing `password` (tests lower it). Default Node's. */
  scryptCost?: ScryptCost;
}

/** Options after checking, with defaults. */
export interface ResolvedAdminOptions {
  username: string;
  secret: { password: string } | { passwordHash: string };
  path: string;
  namespace: string;
  updateInterval: number;
  eventThrottle: number;
  historySize: number;
  maxSocketsListed: number;
  maxRoomsListed: number;
  maxFailedLogins: number;
  failedLoginWindow: number;
  maxTrackedAddresses: number;
  maxConcurrentLogins: number;
  now: () => number;
  scryptCost: ScryptCost;
}

const MIN_PASSWORD_LENGTH = 8;

export function resolveAdminOptions(opts: AdminOptions | undefined): ResolvedAdminOptions {
  const o = opts ?? ({} as AdminOptions);
  if (typeof o.username !== "string" || o.username.length === 0) {
    throw new TypeError(
      "attachAdmin: option username is required (the admin view has no default credentials)",
    );
  }
  const hasPassword = o.password !== undefined;
  const hasHash = o.passwordHash !== undefined;
  if (hasPassword === hasHash) {
    throw new TypeError(
      "attachAdmin: give exactly one of the options password and passwordHash (the admin view has no default credentials)",
    );
  }
  if (hasPassword && (typeof o.password !== "string" || o.password.length < MIN_PASSWORD_LENGTH)) {
    throw new TypeError(
      `attachAdmin: option password must be a string of at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  const secret = hasPassword
    ? { password: o.password as string }
    : { passwordHash: o.passwordHash as string };
  return {
    username: o.username,
    secret,
    path: normalisePath("path", o.path ?? "/admin"),
    namespace: normalisePath("namespace", o.namespace ?? "/admin"),
    updateInterval: positive("updateInterval", o.updateInterval, 2000),
    eventThrottle: positive("eventThrottle", o.eventThrottle, 250),
    historySize: positiveInteger("historySize", o.historySize, 150),
    maxSocketsListed: positiveInteger("maxSocketsListed", o.maxSocketsListed, 500),
    maxRoomsListed: positiveInteger("maxRoomsListed", o.maxRoomsListed, 200),
    maxFailedLogins: positiveInteger("maxFailedLogins", o.maxFailedLogins, 5),
    failedLoginWindow: positive("failedLoginWindow", o.failedLoginWindow, 60_000),
    maxTrackedAddresses: positiveInteger("maxTrackedAddresses", o.maxTrackedAddresses, 10_000),
    maxConcurrentLogins: positiveInteger("maxConcurrentLogins", o.maxConcurrentLogins, 4),
    now: o.now ?? Date.now,
    scryptCost: o.scryptCost ?? {},
  };
}

function normalisePath(name: string, value: string): string {
  if (typeof value !== "string" || !/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value.includes("//")) {
    throw new TypeError(
      `attachAdmin: option ${name} must start with "/" and hold only letters, digits and . _ ~ - / (got ${JSON.stringify(value)})`,
    );
  }
  return value.length > 1 && value.endsWith("/") ? value.slice(0, -1) : value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `attachAdmin: option ${name} must be a positive finite number (got ${String(value)})`,
    );
  }
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const n = positive(name, value, fallback);
  if (!Number.isInteger(n)) throw new TypeError(`attachAdmin: option ${name} must be an integer (got ${n})`);
  return n;
}
