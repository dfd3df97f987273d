// A socket's own room (the room named by its id, which every socket is in) without a Redis
// subscription per socket. Socket ids name their node (`<adapter uid>.<120 random bits>`), and the
// node subscribes once to the pattern of its sockets' room channels; a SUBSCRIBE per connection and
// a channel per socket in Redis are gone. Broadcasts to a socket still go on its room's channel, so
// a room named after a socket id keeps every room's meaning: sockets elsewhere that join it
// subscribe to its channel as to any room, and a socket restored on another node (connection-state
// recovery keeps its id) is reached there through that channel. Not on a Redis Cluster: sharded
// pub/sub has no patterns.
import { randomBytes } from "node:crypto";
import type { Room } from "volley";

export class OwnSocketRooms {
  private readonly idPrefix: string;

  constructor(uid: string) {
    this.idPrefix = `${uid}.`;
  }

  /** The id of a new socket of this node. */
  newId(): string {
    return this.idPrefix + randomBytes(15).toString("base64url");
  }

  /** Whether `room` is the room of a socket this node created (the pattern covers its channel). */
  covers(room: Room): boolean {
    return typeof room === "string" && room.startsWith(this.idPrefix);
  }
}

/** `text` with the glob characters of Redis patterns escaped. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
