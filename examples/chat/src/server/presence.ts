import type { Room, User } from "../shared/events.js";

/** Who is in which room, kept beside the adapter's rooms so a presence list costs no round trip. */
export class Presence {
  readonly #rooms = new Map<Room, Map<string, User>>();

  enter(room: Room, user: User): void {
    let members = this.#rooms.get(room);
    if (!members) {
      members = new Map();
      this.#rooms.set(room, members);
    }
    members.set(user.id, user);
  }

  leave(room: Room, userId: string): void {
    const members = this.#rooms.get(room);
    if (!members) return;
    members.delete(userId);
    if (members.size === 0) this.#rooms.delete(room);
  }

  users(room: Room): User[] {
    return [...(this.#rooms.get(room)?.values() ?? [])];
  }
}
