// What the page shows, built from the server's public API only: namespaces (io.namespaces()),
// their sockets across the cluster (fetchSockets), rooms counted from those sockets, this node's
// summary and the cluster's nodes (a cluster adapter's uid and liveNodes()).
import { hostname } from "node:os";
import { ClusterNode, type Namespace, type RemoteSocket, type Room, type Server, Socket } from "volley";

/** A socket as listed on the page. */
export interface SocketView {
  id: string;
  /** "websocket", "polling", …; null for a socket of another node (its transport is not shared). */
  transport: string | null;
  address: string;
  /**
   * Rooms other than the socket's own id (numbers stay numbers: `42` and `"42"` are two rooms), at most
   * `maxRoomsListed`.
   */
  rooms: Room[];
  /** How many rooms the socket is in (besides its own), exact. */
  roomCount: number;
  /** When the socket connected, ms since the epoch. */
  connectedAt: number;
  /** Whether the socket is connected to this node. */
  local: boolean;
}

/** A namespace as listed on the page. */
export interface NamespaceView {
  name: string;
  /** Sockets of the whole cluster (exact, even when the list is cut at `maxSocketsListed`). */
  socketCount: number;
  sockets: SocketView[];
  /** Rooms (other than sockets' own) and how many sockets are in each: the most populated first, at most `maxRoomsListed`. */
  rooms: Array<{ name: Room; members: number }>;
  /** How many such rooms there are, exact. */
  roomCount: number;
}

/** One server, as it describes itself (every node running the admin view answers). */
export interface NodeSummary {
  /** The cluster uid of the main namespace's adapter; "local" without a cluster adapter. */
  uid: string;
  hostname: string;
  pid: number;
  /** When the admin view started on that node, ms since the epoch. */
  startedAt: number;
  /** Sockets connected to that node, by namespace. */
  sockets: Record<string, number>;
  /** `io.metrics()` of that node, when the server has it. */
  metrics?: unknown;
}

/** A node of the cluster as listed on the page. */
export interface NodeView {
  uid: string;
  self: boolean;
  /** Its own summary; undefined for a node that does not run the admin view (or did not answer). */
  summary?: NodeSummary;
}

/** One update pushed to the page. */
export interface Snapshot {
  at: number;
  namespaces: NamespaceView[];
  nodes: NodeView[];
  /**
   * False when some node running the admin view did not answer in time (it died, or the cluster's
   * transport is down): its sockets are then missing from the listing until it answers again or is
   * declared gone.
   */
  complete: boolean;
  /** Admin sockets connected to this node (they are not listed among the namespaces). */
  operators: number;
}

// biome-ignore lint/suspicious/noExplicitAny: any server, whatever its event maps
export type AnyServer = Server<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: any namespace, whatever its event maps
type AnyNamespace = Namespace<any, any, any, any>;

/** The main namespace adapter's cluster uid, or "local". */
export function nodeUid(io: AnyServer): string {
  const adapter = io.sockets.adapter;
  return adapter instanceof ClusterNode ? adapter.uid : "local";
}

/** Uids of the other nodes the main namespace's adapter knows alive (none without a cluster). */
export function otherNodes(io: AnyServer): string[] {
  const adapter = io.sockets.adapter;
  return adapter instanceof ClusterNode ? adapter.liveNodes() : [];
}

/** The server's own `io.metrics()` when it has one (feature-detected: it is newer than this module). */
export function serverMetrics(io: AnyServer): unknown {
  const metrics = (io as unknown as { metrics?: () => unknown }).metrics;
  if (typeof metrics !== "function") return undefined;
  try {
    return metrics.call(io);
  } catch {
    return undefined;
  }
}

/** This node's summary. */
export function localSummary(io: AnyServer, adminNamespace: string, startedAt: number): NodeSummary {
  const sockets: Record<string, number> = {};
  for (const nsp of io.namespaces()) if (nsp.name !== adminNamespace) sockets[nsp.name] = nsp.sockets.size;
  const summary: NodeSummary = {
    uid: nodeUid(io),
    hostname: hostname(),
    pid: process.pid,
    startedAt,
    sockets,
  };
  const metrics = serverMetrics(io);
  if (metrics !== undefined) summary.metrics = metrics;
  return summary;
}

/** Lists one namespace across the cluster. */
export async function describeNamespace(
  nsp: AnyNamespace,
  maxSockets: number,
  maxRooms: number,
): Promise<NamespaceView> {
  let sockets: RemoteSocket[];
  try {
    sockets = await nsp.fetchSockets();
  } catch {
    // A cluster request that failed: this node's sockets at least.
    sockets = await nsp.local.fetchSockets();
  }
  const rooms = new Map<Room, number>();
  const listed: SocketView[] = [];
  for (const socket of sockets) {
    const own: Room[] = [];
    for (const room of socket.rooms) {
      if (room === socket.id) continue;
      own.push(room);
      rooms.set(room, (rooms.get(room) ?? 0) + 1);
    }
    if (listed.length < maxSockets) listed.push(describeSocket(socket, own, maxRooms));
  }
  return {
    name: nsp.name,
    socketCount: sockets.length,
    sockets: listed,
    rooms: [...rooms]
      .map(([name, members]) => ({ name, members }))
      .sort((a, b) => b.members - a.members || compare(a.name, b.name))
      .slice(0, maxRooms),
    roomCount: rooms.size,
  };
}

function describeSocket(socket: RemoteSocket, rooms: Room[], maxRooms: number): SocketView {
  // fetchSockets hands this node's sockets as the Socket itself: its connection is readable.
  const local = (socket as unknown) instanceof Socket;
  const transport = local ? (socket as unknown as Socket).conn.transport.name : null;
  return {
    id: socket.id,
    transport,
    address: socket.handshake.address,
    rooms: rooms.sort(compare).slice(0, maxRooms),
    roomCount: rooms.length,
    connectedAt: socket.handshake.issued,
    local,
  };
}

function compare(a: Room, b: Room): number {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
