// Read-only views of a RoomMembership shaped as Socket.IO's `adapter.rooms` (room → member ids) and
// `adapter.sids` (socket id → rooms): the same keys, sizes and contents, a socket's own room included.
// Sets handed out are copies made on access (a socket's own room has no Set to hand out); change
// membership through `socket.join`/`leave` or the adapter's methods, never through them.
import type { Room, SocketId } from "./adapter.js";
import type { RoomMembership } from "./room-membership.js";

/**
 * A read-only Map over a key list and a lookup: a subclass says which keys exist and what each one holds,
 * the iteration the Map interface asks for follows from those.
 */
abstract class ReadonlyMapView<K, V> implements ReadonlyMap<K, V> {
  abstract readonly [Symbol.toStringTag]: string;
  abstract get size(): number;
  abstract get(key: K): V | undefined;
  abstract has(key: K): boolean;
  abstract keys(): MapIterator<K>;

  *values(): MapIterator<V> {
    for (const key of this.keys()) yield this.get(key)!;
  }

  *entries(): MapIterator<[K, V]> {
    for (const key of this.keys()) yield [key, this.get(key)!];
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: this) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }
}

/** `adapter.rooms`: every non-empty room and its members. */
export class RoomsView extends ReadonlyMapView<Room, ReadonlySet<SocketId>> {
  readonly [Symbol.toStringTag] = "RoomsView";
  private readonly membership: RoomMembership;

  constructor(membership: RoomMembership) {
    super();
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

  /** The non-empty rooms. */
  keys(): MapIterator<Room> {
    return this.membership.roomNames();
  }
}

/** `adapter.sids`: every socket with rooms and its rooms. */
export class SocketRoomsView extends ReadonlyMapView<SocketId, ReadonlySet<Room>> {
  readonly [Symbol.toStringTag] = "SocketRoomsView";
  private readonly membership: RoomMembership;

  constructor(membership: RoomMembership) {
    super();
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

  /** The sockets with an entry. */
  keys(): MapIterator<SocketId> {
    return this.membership.socketIds();
  }
}
