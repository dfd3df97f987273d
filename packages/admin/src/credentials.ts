// Operator credentials: a username and a scrypt-derived password key. The plain password, when given,
// is hashed at start-up and never kept; every check derives a key from the attempt and compares in
// constant time, so neither the username nor the password leaks through timing.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** Cost of the scrypt derivation (Node's defaults: N 16384, r 8, p 1; about 50 ms per check). */
export interface ScryptCost {
  /** CPU/memory cost, a power of two. Default 16384. */
  N?: number;
  /** Block size. Default 8. */
  r?: number;
  /** Parallelisation. Default 1. */
  p?: number;
}

const KEY_LENGTH = 32;
const PREFIX = "scrypt";
/** scrypt refuses (or takes seconds) beyond this; the memory it needs is 128 * N * r bytes. */
const MAX_MEMORY = 64 * 1024 * 1024;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function derive(password: string, salt: Buffer, cost: Required<ScryptCost>, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, { ...cost, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a password for the `passwordHash` option: `scrypt$N$r$p$<salt base64>$<key base64>`.
 * Run once (e.g. `node -e 'import("@volley/admin").then(a => a.hashPassword("…")).then(console.log)'`)
 * and keep the result in the server's configuration instead of the password.
 */
export async function hashPassword(password: string, cost: ScryptCost = {}): Promise<string> {
  if (typeof password !== "string" || password.length === 0) {
    throw new TypeError("hashPassword: the password must be a non-empty string");
  }
  const resolved = { N: cost.N ?? 16384, r: cost.r ?? 8, p: cost.p ?? 1 };
  const salt = randomBytes(16);
  const key = await derive(password, salt, resolved, KEY_LENGTH);
  return [PREFIX, resolved.N, resolved.r, resolved.p, salt.toString("base64"), key.toString("base64")].join(
    "$",
  );
}

/** Parses a `passwordHash`; throws a TypeError naming what is wrong. */
export function parsePasswordHash(hash: string): ParsedHash {
  const parts = typeof hash === "string" ? hash.split("$") : [];
  const [prefix, n, r, p, salt, key] = parts;
  const numbers = [n, r, p].map((v) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : Number.NaN));
  const [N, R, P] = numbers as [number, number, number];
  if (
    parts.length !== 6 ||
    prefix !== PREFIX ||
    !numbers.every((v) => Number.isSafeInteger(v) && v > 0) ||
    (N & (N - 1)) !== 0 ||
    N < 2 ||
    128 * N * R > MAX_MEMORY ||
    !salt ||
    !key
  ) {
    throw new TypeError(
      "option passwordHash must be the output of hashPassword(): scrypt$N$r$p$<salt>$<key> " +
        `(N a power of two, 128 * N * r at most ${MAX_MEMORY} bytes)`,
    );
  }
  const keyBytes = Buffer.from(key, "base64");
  if (keyBytes.length < 16) throw new TypeError("option passwordHash: the key is shorter than 16 bytes");
  return { N, r: R, p: P, salt: Buffer.from(salt, "base64"), key: keyBytes };
}

/** The configured operator: checks login attempts. */
export class Credentials {
  private readonly usernameDigest: Buffer;
  private readonly hash: Promise<ParsedHash>;

  /** From a username and either a plain password (hashed here) or a `passwordHash`. */
  constructor(
    username: string,
    secret: { password: string } | { passwordHash: string },
    cost: ScryptCost = {},
  ) {
    this.usernameDigest = digest(username);
    if ("passwordHash" in secret) {
      this.hash = Promise.resolve(parsePasswordHash(secret.passwordHash));
    } else {
      this.hash = hashPassword(secret.password, cost).then(parsePasswordHash);
    }
    // A failure surfaces at the first check; never as an unhandled rejection.
    this.hash.catch(() => {});
  }

  /** Whether `username` and `password` are the operator's. Always derives a key, whatever the username. */
  async verify(username: unknown, password: unknown): Promise<boolean> {
    const hash = await this.hash;
    const attempt = typeof password === "string" ? password : "";
    const key = await derive(attempt, hash.salt, hash, hash.key.length);
    const userOk = timingSafeEqual(digest(typeof username === "string" ? username : ""), this.usernameDigest);
    const passwordOk = timingSafeEqual(key, hash.key);
    return userOk && passwordOk && typeof username === "string" && typeof password === "string";
  }
}

/** Fixed-length digest, so that comparing usernames of different lengths takes the same time. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
