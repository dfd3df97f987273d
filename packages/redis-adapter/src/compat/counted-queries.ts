// The questions a Volley server asks in socket.io compat mode, as the official adapter asks them —
// socket ids (SOCKETS), sockets (REMOTE_FETCH), server-side events with acknowledgements
// (SERVER_SIDE_EMIT) — and how their answers are gathered. A server that does not answer in time
// never costs the answers of the others: they are returned with the error.
import type { ClusterAdapterError, SocketDetails, SocketId, WireOptions } from "volley";
import { type SioResponse, SioType } from "./socketio-wire.js";

/** Sends a request (built for its id) to every other server; resolves with the error that ended the wait. */
export type AskOthers = (
  body: (requestId: string) => object,
  onResponse: (response: SioResponse) => void,
) => Promise<ClusterAdapterError | undefined>;

/** Adds the ids of the other servers' sockets in any of `rooms` (all when empty) to `ids`. */
export function askSocketIds(
  ask: AskOthers,
  uid: string,
  rooms: WireOptions["rooms"],
  ids: Set<SocketId>,
): Promise<ClusterAdapterError | undefined> {
  return ask(
    (requestId) => ({ uid, requestId, type: SioType.SOCKETS, rooms }),
    (response) => {
      if (response.kind === "socketIds") for (const id of response.ids) ids.add(id);
    },
  );
}

/** Adds the other servers' sockets matching `opts` to `out`. */
export function askSockets(
  ask: AskOthers,
  uid: string,
  opts: WireOptions,
  out: unknown[],
): Promise<ClusterAdapterError | undefined> {
  return ask(
    (requestId) => ({
      uid,
      requestId,
      type: SioType.REMOTE_FETCH,
      opts: { rooms: opts.rooms, except: opts.except },
    }),
    (response) => {
      if (response.kind !== "sockets") return;
      for (const s of response.sockets) {
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
  ask: AskOthers,
  uid: string,
  data: unknown[],
  ack: (err: Error | null, responses: unknown[]) => void,
): void {
  const responses: unknown[] = [];
  ask(
    (requestId) => ({ uid, requestId, type: SioType.SERVER_SIDE_EMIT, data }),
    (response) => {
      if (response.kind === "serverSideEmit") responses.push(response.data);
    },
  ).then((err) => ack(err ?? null, responses));
}
