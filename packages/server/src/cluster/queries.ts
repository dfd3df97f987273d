// The questions this node asks the others — which sockets match, and server-side events with
// acknowledgements — and how their answers are gathered. A node that does not answer in time never
// costs the answers of the others: they are returned with the error naming it.
import type { BroadcastOptions, Room, SocketDetails, SocketId } from "../adapter.js";
import type { ClusterAdapterError } from "./errors.js";
import { type Message, MessageType } from "./messages.js";
import { toWire } from "./wire.js";

/** Sends a request to every live node; resolves with the error that ended the wait, if any. */
export type Ask = (
  type: Message["type"],
  body: (requestId: string) => object,
  onResponse: (msg: Message) => void,
) => Promise<ClusterAdapterError | undefined>;

/** Adds the ids of the other nodes' sockets in any of `rooms` to `ids`. */
export function askSocketIds(
  ask: Ask,
  rooms: Set<Room>,
  ids: Set<SocketId>,
): Promise<ClusterAdapterError | undefined> {
  return ask(
    MessageType.FETCH_SOCKETS,
    (requestId) => ({ requestId, opts: toWire({ rooms }), idsOnly: true }),
    (msg) => {
      if (msg.type === MessageType.FETCH_SOCKETS_RESPONSE) for (const s of msg.sockets) ids.add(s.id);
    },
  );
}

/** Adds the other nodes' sockets matching `opts` to `out`. */
export function askSockets(
  ask: Ask,
  opts: BroadcastOptions,
  out: unknown[],
): Promise<ClusterAdapterError | undefined> {
  return ask(
    MessageType.FETCH_SOCKETS,
    (requestId) => ({ requestId, opts: toWire(opts), idsOnly: false }),
    (msg) => {
      if (msg.type !== MessageType.FETCH_SOCKETS_RESPONSE) return;
      for (const s of msg.sockets) {
        const details: SocketDetails = {
          id: s.id,
          handshake: s.handshake as unknown as SocketDetails["handshake"],
          rooms: new Set(s.rooms),
          data: s.data,
        };
        out.push(details);
      }
    },
  );
}

/** A server-side event with an acknowledgement: `ack(null | error, responses)` once answered or timed out. */
export function askServerSideEmit(
  ask: Ask,
  data: unknown[],
  ack: (err: Error | null, responses: unknown[]) => void,
): void {
  const responses: unknown[] = [];
  ask(
    MessageType.SERVER_SIDE_EMIT,
    (requestId) => ({ requestId, data }),
    (msg) => {
      if (msg.type === MessageType.SERVER_SIDE_EMIT_RESPONSE) responses.push(msg.data);
    },
  ).then((err) => ack(err ?? null, responses));
}
