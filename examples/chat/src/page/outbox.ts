import type { OutgoingMessage, Room } from "../shared/events.js";

/** Where an outgoing message is: waiting for a connection, on the wire, or acknowledged by the server. */
export type MessageStatus = "queued" | "sent" | "delivered" | "failed";

export interface OutboxEntry extends OutgoingMessage {
  status: MessageStatus;
}

/**
 * The page's outgoing messages until the server acknowledges them. Messages written offline wait here;
 * messages on the wire when the connection drops go back to `queued` and are sent again after the
 * reconnection. Ids are stable across resends, so the server delivers each message once.
 */
export class Outbox {
  readonly #entries = new Map<string, OutboxEntry>();
  #seq = 0;

  constructor(readonly clientId: string) {}

  add(room: Room, text: string): OutboxEntry {
    this.#seq += 1;
    const entry: OutboxEntry = { id: `${this.clientId}:${this.#seq}`, room, text, status: "queued" };
    this.#entries.set(entry.id, entry);
    return entry;
  }

  /** Messages to send now, oldest first. */
  queued(): OutboxEntry[] {
    return [...this.#entries.values()].filter((entry) => entry.status === "queued");
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Sets a status; acknowledged (or refused) messages leave the outbox. Unknown ids are ignored. */
  mark(id: string, status: MessageStatus): OutboxEntry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    entry.status = status;
    if (status === "delivered" || status === "failed") this.#entries.delete(id);
    return entry;
  }

  /** The connection dropped: whatever was on the wire may be lost, so it goes out again. */
  requeueSent(): OutboxEntry[] {
    const requeued: OutboxEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.status === "sent") {
        entry.status = "queued";
        requeued.push(entry);
      }
    }
    return requeued;
  }
}

/** A random id for this page load. `crypto.randomUUID` needs a secure context; a phone on the LAN is not one. */
export function randomClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
