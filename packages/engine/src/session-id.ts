import { randomFillSync } from "node:crypto";

/** Bytes of one id: 120 bits, 20 characters of base64url. */
const ID_BYTES = 15;
/** Ids drawn from the CSPRNG at once: one call per 256 handshakes instead of one each. */
const IDS_PER_BATCH = 256;

const pool = Buffer.alloc(ID_BYTES * IDS_PER_BATCH);
let offset = pool.length;

/**
 * A new session id: 120 bits from the CSPRNG, base64url (20 characters, safe in URLs and cookies). The
 * random bytes are drawn in batches (a handshake storm otherwise pays a CSPRNG call per connection); each
 * id uses its own bytes once.
 */
export function generateSessionId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString("base64url", offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
