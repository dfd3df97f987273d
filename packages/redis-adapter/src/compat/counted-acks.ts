// The remote half of `emitWithAck` in socket.io compat mode: each other server (official or Volley)
// first reports how many of its sockets the packet reached (BROADCAST_CLIENT_COUNT), then forwards
// their acknowledgements (BROADCAST_ACK), neither saying which server it is. So the count of other
// servers comes from Redis (`expect`), and servers that have not reported by the deadline count as
// zero sockets: the caller never waits for the dead past it.
import type { CountedRequests } from "./counted-requests.js";

export interface CountedAcks {
  /** How many other servers are to report (known once Redis answered). */
  expect(servers: number): void;
  /** Stops waiting; every server expected and not heard of counts as zero sockets. */
  finish(): void;
}

/** Registers request `requestId`; it finishes by itself when complete, after `timeout` ms, or on close. */
export function collectCountedAcks(
  requests: CountedRequests,
  requestId: string,
  timeout: number,
  clientCountCallback: (clientCount: number) => void,
  ack: (...args: unknown[]) => void,
): CountedAcks {
  let expected: number | undefined;
  let reported = 0;
  let pendingAcks = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    requests.delete(requestId);
    for (let i = reported; i < (expected ?? reported); i++) clientCountCallback(0);
  };
  const maybeDone = () => {
    if (expected !== undefined && reported >= expected && pendingAcks <= 0) finish();
  };
  const timer = setTimeout(finish, timeout);
  requests.register(requestId, {
    onResponse: (response) => {
      if (response.kind === "clientCount") {
        reported++;
        pendingAcks += response.clientCount;
        clientCountCallback(response.clientCount);
      } else if (response.kind === "ack") {
        pendingAcks--;
        ack(response.packet);
      }
      maybeDone();
    },
    onClose: finish,
  });
  return {
    expect(servers) {
      expected = servers;
      maybeDone();
    },
    finish,
  };
}
