// Who is in which room, both ways, without a Set per idle socket. Every socket is in the room named
// by its own id, and most sockets are in no other: stored as two Sets each (socket → rooms, room →
// members), that is ~300 bytes per connection for a fact the socket's id already states. Here a
// socket's own room is implicit: its entry says "own room only" until it joins a room of its own
// choosing, and the room table holds only the members a room got by `join` (a socket may join another
// socket's id room; it is listed there). The adapter's `rooms` and `sids` views (membership-views.ts)
// show the same contents as Socket.IO's two maps.
import type { Room, SocketId } from "./adapter.js";

/** The entry of a socket that is in its own room and no other. */
const OWN_ROOM_ONLY = 0;
type SocketEntry = typeof OWN_ROOM_ONLY | Set<Room>;

/** What a join changed: nothing, a new member, or a new member of a room that did not exist. */
export const Joined = { Already: 0, Member: 1, CreatedRoom: 2 } as const;
export type Joined = (typeof Joined)[keyof typeof Joined];

/** What a leave changed: nothing, a member less, or the room's last member gone (the room too). */
export const Left = { NotMember: 0, Member: 1, DeletedRoom: 2 } as const;
export type Left = (typeof Left)[keyof typeof Left];

/** Room membership of one namespace's sockets on this server. */
export class RoomMembership {
  /** socket id → its rooms (its own included when in it), or OWN_ROOM_ONLY. */
  private readonly bySocket = new Map<SocketId, SocketEntry>();
  /** room → the sockets that joined it, except the socket whose id names the room. */
  private readonly byRoom = new Map<Room, Set<SocketId>>();

  /** Whether socket `id` has an entry (it joined at least once and has not left them all). */
  hasSocket(id: SocketId): boolean {
    return this.bySocket.has(id);
  }

  /** Number of sockets with an entry. */
  get socketCount(): number {
    return this.bySocket.size;
  }

  /** Socket ids with an entry, in insertion order. */
  socketIds(): IterableIterator<SocketId> {
    return this.bySocket.keys();
  }

  /** Whether socket `id` is in `room`. */
  isIn(id: SocketId, room: Room): boolean {
    if (room === id) return this.inOwnRoom(id);
    const entry = this.bySocket.get(id);
    return entry !== undefined && entry !== OWN_ROOM_ONLY && entry.has(room);
  }

  /** Whether the room has any member. */
  roomExists(room: Room): boolean {
    return this.byRoom.has(room) || (typeof room === "string" && this.inOwnRoom(room));
  }

  /**
   * The members of `room`: the set itself when no socket's own room is involved (no copy), else a
   * short array. Undefined when the room is empty. Read it before changing the membership.
   */
  membersOf(room: Room): ReadonlySet<SocketId> | readonly SocketId[] | undefined {
    const joined = this.byRoom.get(room);
    if (typeof room !== "string" || !this.inOwnRoom(room)) return joined;
    if (joined === undefined) return [room];
    return [room, ...joined];
  }

  /** The rooms socket `id` is in, as a new Set (undefined without an entry). */
  roomsOf(id: SocketId): Set<Room> | undefined {
    const entry = this.bySocket.get(id);
    if (entry === undefined) return undefined;
    return entry === OWN_ROOM_ONLY ? new Set([id]) : new Set(entry);
  }

  /** Calls `fn` for each room socket `id` is in. */
  forEachRoomOf(id: SocketId, fn: (room: Room) => void): void {
    const entry = this.bySocket.get(id);
    if (entry === undefined) return;
    if (entry === OWN_ROOM_ONLY) fn(id);
    else for (const room of [...entry]) fn(room);
  }

  /** Every non-empty room, each once: rooms that were joined, then sockets' own rooms. */
  *roomNames(): IterableIterator<Room> {
    yield* this.byRoom.keys();
    for (const [id, entry] of this.bySocket) {
      if (this.byRoom.has(id)) continue;
      if (entry === OWN_ROOM_ONLY || entry.has(id)) yield id;
    }
  }

  /** Puts socket `id` in `room`. */
  join(id: SocketId, room: Room): Joined {
    const entry = this.bySocket.get(id);
    if (room === id) {
      if (entry === undefined) {
        const created = !this.byRoom.has(room);
        this.bySocket.set(id, OWN_ROOM_ONLY);
        return created ? Joined.CreatedRoom : Joined.Member;
      }
      if (entry === OWN_ROOM_ONLY || entry.has(room)) return Joined.Already;
      const created = !this.byRoom.has(room);
      this.addToEntry(id, entry, room);
      return created ? Joined.CreatedRoom : Joined.Member;
    }
    if (entry !== undefined && entry !== OWN_ROOM_ONLY && entry.has(room)) return Joined.Already;
    const created = !this.roomExists(room);
    if (entry === undefined) this.bySocket.set(id, new Set([room]));
    else if (entry === OWN_ROOM_ONLY) this.bySocket.set(id, new Set([id, room]));
    else entry.add(room);
    let members = this.byRoom.get(room);
    if (members === undefined) {
      members = new Set();
      this.byRoom.set(room, members);
    }
    members.add(id);
    return created ? Joined.CreatedRoom : Joined.Member;
  }

  /** Takes socket `id` out of `room`; its entry stays (possibly empty), as Socket.IO's `sids`. */
  leave(id: SocketId, room: Room): Left {
    const entry = this.bySocket.get(id);
    if (entry === undefined) return Left.NotMember;
    if (entry === OWN_ROOM_ONLY) {
      if (room !== id) return Left.NotMember;
      this.bySocket.set(id, new Set());
      return this.byRoom.has(room) ? Left.Member : Left.DeletedRoom;
    }
    if (!entry.delete(room)) return Left.NotMember;
    this.compact(id, entry);
    if (room === id) return this.byRoom.has(room) ? Left.Member : Left.DeletedRoom;
    const members = this.byRoom.get(room)!;
    members.delete(id);
    if (members.size > 0) return Left.Member;
    this.byRoom.delete(room);
    // A socket whose id names the room may still be in it.
    return typeof room === "string" && this.inOwnRoom(room) ? Left.Member : Left.DeletedRoom;
  }

  /** Removes socket `id`'s entry (it must be in no room any more). */
  forget(id: SocketId): void {
    this.bySocket.delete(id);
  }

  private inOwnRoom(id: SocketId): boolean {
    const entry = this.bySocket.get(id);
    return entry === OWN_ROOM_ONLY || entry?.has(id) === true;
  }

  private addToEntry(id: SocketId, entry: Set<Room>, room: Room): void {
    entry.add(room);
    this.compact(id, entry);
  }

  /** Back to the compact entry once a socket is in its own room only. */
  private compact(id: SocketId, entry: Set<Room>): void {
    if (entry.size === 1 && entry.has(id)) this.bySocket.set(id, OWN_ROOM_ONLY);
  }
}
