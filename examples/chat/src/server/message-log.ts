import type { ChatMessage, Room } from "../shared/events.js";

/**
 * Recent messages per room (for whoever joins) and recently seen message ids (so a resend after a
 * reconnection is acknowledged again but not broadcast twice). Both are bounded: the oldest entry goes first.
 */
export class MessageLog {
  readonly #history = new Map<Room, ChatMessage[]>();
  // A Map keeps insertion order, which makes "forget the oldest" O(1).
  readonly #seen = new Map<string, ChatMessage>();

  constructor(
    private readonly historyLimit: number,
    private readonly dedupeWindow: number,
  ) {}

  /** The message already accepted under this id, if it is still remembered. */
  find(id: string): ChatMessage | undefined {
    return this.#seen.get(id);
  }

  add(message: ChatMessage): void {
    this.#seen.set(message.id, message);
    if (this.#seen.size > this.dedupeWindow) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    let list = this.#history.get(message.room);
    if (!list) {
      list = [];
      this.#history.set(message.room, list);
    }
    list.push(message);
    if (list.length > this.historyLimit) list.splice(0, list.length - this.historyLimit);
  }

  history(room: Room): ChatMessage[] {
    return this.#history.get(room)?.slice() ?? [];
  }
}
