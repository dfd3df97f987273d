// The remote half of `broadcastWithAck`: each other node first reports how many of its sockets the
// packet reached, then forwards their acknowledgements one by one. A node that dies or stays silent
// until the deadline counts as zero sockets, so the caller never waits for the dead.
import type { ClusterRequests } from "./requests.js";
import { MessageType } from "./messages.js";

/**
 * Registers request `requestId` and returns `finish`, which stops waiting and reports a count of
 * zero for every node of `waiting` that has not answered yet. It runs by itself once every count and
 * acknowledgement has come in, after `timeout` ms, or when the adapter closes.
 */
export function collectRemoteAcks(
  requests: ClusterRequests,
  requestId: string,
  waiting: Set<string>,
  timeout: number,
  clientCountCallback: (clientCount: number) => void,
  ack: (...args: unknown[]) => void,
): () => void {
  let pendingAcks = 0;
  const finish = () => {
    clearTimeout(timer);
    requests.delete(requestId);
    for (const _ of waiting) clientCountCallback(0);
    waiting.clear();
  };
  const maybeDone = () => {
    if (waiting.size === 0 && pendingAcks === 0) finish();
  };
  const timer = setTimeout(finish, timeout);
  requests.register(requestId, {
    onResponse: (msg) => {
      if (msg.type === MessageType.BROADCAST_CLIENT_COUNT) {
        if (!waiting.delete(msg.uid)) return;
        pendingAcks += msg.count;
        clientCountCallback(msg.count);
      } else if (msg.type === MessageType.BROADCAST_ACK) {
        pendingAcks--;
        ack(...msg.data);
      }
      maybeDone();
    },
    onNodeGone: (uid) => {
      if (waiting.delete(uid)) clientCountCallback(0);
      maybeDone();
    },
    onClose: finish,
  });
  return finish;
}
