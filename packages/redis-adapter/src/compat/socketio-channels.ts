// Names of the Redis channels of one namespace, as the official Socket.IO Redis adapter (8.x) uses
// them: broadcasts on `<key>#<nsp>#` and `<key>#<nsp>#<room>#` (every node subscribes to the
// pattern `<key>#<nsp>#*`, so each node receives every broadcast: no interest routing), requests
// on `<key>-request#<nsp>#`, responses on `<key>-response#<nsp>#` and on a node's own
// `<key>-response#<nsp>#<uid>#`. The subscriber count of the request channel is the server count.

export class SocketIoChannels {
  /** Broadcasts to everyone, or to several rooms (receivers filter locally). */
  readonly all: string;
  /** Pattern matching every broadcast channel of the namespace. */
  readonly allPattern: string;
  /** Requests of every kind; each server subscribes once. */
  readonly request: string;
  /** Responses, shared by every node (where the official adapter answers by default). */
  readonly response: string;

  constructor(key: string, nsp: string) {
    this.all = `${key}#${nsp}#`;
    // Glob characters in the key or namespace match only themselves.
    this.allPattern = `${this.all.replace(/[*?[\]\\]/g, "\\$&")}*`;
    this.request = `${key}-request#${nsp}#`;
    this.response = `${key}-response#${nsp}#`;
  }

  /** Broadcasts to exactly one room. */
  room(room: string | number): string {
    return `${this.all}${room}#`;
  }

  /** Responses addressed to node `uid` (official nodes with `publishOnSpecificResponseChannel`). */
  responseTo(uid: string): string {
    return `${this.response}${uid}#`;
  }
}
