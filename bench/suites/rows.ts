// The rows of the tables: what each one loads the servers with, and the budget it is held to (DESIGN.md).
import type { Config } from "../lib/config.js";
import type { Protocol } from "../load/main.js";
import type { Impl } from "../server/types.js";

/** A budget on the ratio Volley / reference (lower is better). */
export interface Budget {
  ratio: number;
  label: string;
}

export interface ThroughputRow {
  kind: "echo" | "fanout";
  name: string;
  protocol: Protocol;
  clients: number;
  /** Payload bytes (WebSocket) or characters (Socket.IO). */
  size: number;
  /** Socket.IO rooms the clients are spread over; each broadcast goes to one room. */
  rooms?: number;
  /** Broadcasts in flight. */
  depth?: number;
  /** Cluster rows: servers (one child each) on one Redis, clients spread over them round robin. */
  nodes?: number;
  budget?: Budget;
}

export interface MemoryRow {
  kind: "memory";
  name: string;
  protocol: Protocol;
  clients: number;
  budget?: Budget;
}

/** The library pair of a protocol: [Volley, reference]. */
export function implsFor(protocol: Protocol, aa: boolean): [Impl, Impl] {
  const ref: Impl = protocol === "websocket" ? "ws" : "socket.io";
  const volley: Impl = protocol === "websocket" ? "volley-ws" : "volley";
  return aa ? [ref, ref] : [volley, ref];
}

const ONE = { ratio: 1, label: "≤ 1.0×" };
const HALF = { ratio: 0.5, label: "≤ ½" };
/** DESIGN.md for the Socket.IO rows on WebSocket: "always < socket.io" (the floor budget is the floor suite's). */
const BELOW = { ratio: 1, label: "< 1.0×" };
const THIRD = { ratio: 1 / 3, label: "≤ ⅓" };

export function websocketRows(c: Config): ThroughputRow[] {
  const many = c.quick ? 20 : 100;
  const fan = c.quick ? 200 : 1000;
  return [
    {
      kind: "echo",
      name: "ws echo 32 B, 1 client",
      protocol: "websocket",
      clients: 1,
      size: 32,
      budget: ONE,
    },
    {
      kind: "echo",
      name: `ws echo 32 B, ${many} clients`,
      protocol: "websocket",
      clients: many,
      size: 32,
      budget: ONE,
    },
    {
      kind: "echo",
      name: "ws echo 64 KB, 1 client",
      protocol: "websocket",
      clients: 1,
      size: 65536,
      budget: ONE,
    },
    {
      kind: "echo",
      name: `ws echo 64 KB, ${many} clients`,
      protocol: "websocket",
      clients: many,
      size: 65536,
      budget: ONE,
    },
    {
      kind: "fanout",
      name: `ws fan-out 32 B to ${fan}`,
      protocol: "websocket",
      clients: fan,
      size: 32,
      depth: 2,
    },
  ];
}

export function socketioRows(c: Config): ThroughputRow[] {
  const echoClients = c.quick ? [1, 50] : [1, 50, 500];
  const fans = c.quick ? [200, 500] : [1000, 5000];
  const roomClients = c.quick ? 200 : 1000;
  return [
    ...echoClients.map(
      (n): ThroughputRow => ({
        kind: "echo",
        name: `sio echo+ack 32 B, ${n} client${n > 1 ? "s" : ""}`,
        protocol: "socketio",
        clients: n,
        size: 32,
        budget: BELOW,
      }),
    ),
    ...fans.map(
      (n): ThroughputRow => ({
        kind: "fanout",
        name: `sio io.emit 32 B to ${n}`,
        protocol: "socketio",
        clients: n,
        size: 32,
        depth: 2,
        budget: BELOW,
      }),
    ),
    {
      kind: "fanout",
      name: `sio io.to(room).emit, ${roomClients} clients in 10 rooms`,
      protocol: "socketio",
      clients: roomClients,
      size: 32,
      rooms: 10,
      depth: 2,
      budget: BELOW,
    },
  ];
}

export function memoryRows(c: Config): MemoryRow[] {
  const n = c.quick ? 500 : 10_000;
  return [
    { kind: "memory", name: `sio idle, ${n} connections`, protocol: "socketio", clients: n, budget: THIRD },
    { kind: "memory", name: `ws idle, ${n} connections`, protocol: "websocket", clients: n },
  ];
}

/** A 3-node cluster on one Redis, each library with its own Redis adapter. */
export function clusterRows(_c: Config): ThroughputRow[] {
  return [
    {
      kind: "fanout",
      name: "cluster 3 nodes, io.emit 32 B to 1000",
      protocol: "socketio",
      clients: 1000,
      size: 32,
      depth: 2,
      nodes: 3,
      budget: HALF,
    },
  ];
}
