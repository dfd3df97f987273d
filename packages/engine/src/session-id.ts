import { randomBytes } from "node:crypto";

/** A new session id: 120 bits from the CSPRNG, base64url (20 characters, safe in URLs and cookies). */
export function generateSessionId(): string {
  return randomBytes(15).toString("base64url");
}
