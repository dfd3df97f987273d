// Read-only views of a RoomMembership shaped as Socket.IO's `adapter.rooms` (room → member ids) and
// `adapter.sids` (socket id → rooms): the same keys, sizes and contents, a socket's own room included.
// Sets handed out are copies made on access (a socket's own room has no Set to hand out); change
// membership through `socket.join`/`leave` or the adapter's methods, never through them.
import type { Room, SocketId } from "./adapter.js";
import type { RoomMembership } from "./room-membership.js";

/** `adapter.rooms`: every non-empty room and its members. */
export class RoomsView implements ReadonlyMap<Room, ReadonlySet<SocketId>> {
  readonly [Symbol.toStringTag] = "RoomsView";
  private readonly membership: RoomMembership;

  constructor(membership: RoomMembership) {
    this.membership = membership;
  }

  /** Number of non-empty rooms (counted on each call). */
  get size(): number {
    let n = 0;
    for (const _ of this.membership.roomNames()) n++;
    return n;
  }

  /** The members of `room` (a new Set), or undefined when it is empty. */
  get(room: Room): ReadonlySet<SocketId> | undefined {
    const members = this.membership.membersOf(room);
    return members === undefined ? undefined : new Set(members);
  }

  /** Whether `room` has a member. */
  has(room: Room): boolean {
    return this.membership.roomExists(room);
  }

  keys(): MapIterator<Room> {
    return this.membership.roomNames();
  }

  *values(): MapIterator<ReadonlySet<SocketId>> {
    for (const room of this.membership.roomNames()) yield this.get(room)!;
  }

  *entries(): MapIterator<[Room, ReadonlySet<SocketId>]> {
    for (const room of this.membership.roomNames()) yield [room, this.get(room)!];
  }

  [Symbol.iterator](): MapIterator<[Room, ReadonlySet<SocketId>]> {
    return this.entries();
  }

  forEach(fn: (members: ReadonlySet<SocketId>, room: Room, map: this) => void, thisArg?: unknown): void {
    for (const [room, members] of this.entries()) fn.call(thisArg, members, room, this);
  }
}

/** `adapter.sids`: every socket with rooms and its rooms. */
export class SocketRoomsView implements ReadonlyMap<SocketId, ReadonlySet<Room>> {
  readonly [Symbol.toStringTag] = "SocketRoomsView";
  private readonly membership: RoomMembership;

  constructor(membership: RoomMembership) {
    this.membership = membership;
  }

  /** Number of sockets. */
  get size(): number {
    return this.membership.socketCount;
  }

  /** The rooms of socket `id` (a new Set), or undefined when it has no entry. */
  get(id: SocketId): ReadonlySet<Room> | undefined {
    return this.membership.roomsOf(id);
  }

  /** Whether socket `id` has an entry. */
  has(id: SocketId): boolean {
    return this.membership.hasSocket(id);
  }

  keys(): MapIterator<SocketId> {
    return this.membership.socketIds();
  }

  *values(): MapIterator<ReadonlySet<Room>> {
    for (const id of this.membership.socketIds()) yield this.get(id)!;
  }

  *entries(): MapIterator<[SocketId, ReadonlySet<Room>]> {
    for (const id of this.membership.socketIds()) yield [id, this.get(id)!];
  }

  [Symbol.iterator](): MapIterator<[SocketId, ReadonlySet<Room>]> {
    return this.entries();
  }

  forEach(fn: (rooms: ReadonlySet<Room>, id: SocketId, map: this) => void, thisArg?: unknown): void {
    for (const [id, rooms] of this.entries()) fn.call(thisArg, rooms, id, this);
  }
}
