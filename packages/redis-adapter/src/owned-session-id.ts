// Session ids that name their owner: `<node id>.<120 random bits>`. Any server reading a sid knows
// which server holds the session without asking anyone.
import { randomBytes } from "node:crypto";

const NODE_ID_LENGTH = 8;
const RANDOM_LENGTH = 20;
const SEPARATOR = ".";
const NODE_ID = /^[A-Za-z0-9_-]{8}$/;

/** A new node id: 48 random bits, base64url (8 characters). */
export function newNodeId(): string {
  return randomBytes(6).toString("base64url");
}

/** A session id without an owner: 120 random bits, base64url (20 characters). */
export function randomSessionId(): string {
  return randomBytes(15).toString("base64url");
}

/** A session id owned by `nodeId`. */
export function ownedSessionId(nodeId: string): string {
  return `${nodeId}${SEPARATOR}${randomSessionId()}`;
}

/** The node id a session id names, or undefined when it names none (or is malformed). */
export function ownerOf(sid: string): string | undefined {
  if (sid.length !== NODE_ID_LENGTH + 1 + RANDOM_LENGTH || sid[NODE_ID_LENGTH] !== SEPARATOR)
    return undefined;
  const owner = sid.slice(0, NODE_ID_LENGTH);
  return NODE_ID.test(owner) ? owner : undefined;
}
