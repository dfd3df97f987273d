// The three-server rows (issue 16): Volley, socket.io 4.8 and the floor (the same app on bare `ws` with a
// hand-written minimum of Engine.IO / Socket.IO) side by side — memory at scale, long-polling, handshake
// storms, one big broadcast at a time, and compression. Each row names its measures and their budgets.
import type { Config } from "../lib/config.js";
import type { HandshakeTransport } from "../load/handshake.js";
import type { Impl } from "../server/types.js";
import { socketioRows } from "./rows.js";

export const TRIO_SUITES = ["scale", "polling", "handshake", "broadcast", "compression", "floor"] as const;
export type TrioSuite = (typeof TRIO_SUITES)[number];

/** A budget on one measure: a ratio Volley ÷ socket.io, or a bound on Volley's own value. */
export interface MeasureBudget {
  label: string;
  /** Volley ÷ socket.io must be ≤ this (≥ with `higherIsBetter`). */
  ratio?: number;
  /** Volley's value must be ≤ this. */
  max?: number;
  /** Volley ÷ the floor (bare ws) must be ≤ this. */
  floorRatio?: number;
}

/** One column of a row's figures: `key` in every sample. */
export interface Measure {
  key: string;
  label: string;
  digits: number;
  higherIsBetter?: boolean;
  budget?: MeasureBudget;
}

interface RowBase {
  name: string;
  clients: number;
  measures: Measure[];
}

/** Idle Socket.IO connections (websocket): memory per connection and the time to open them. */
export interface ScaleRow extends RowBase {
  kind: "scale";
  /** Load children the clients are split over (each process here holds at most 20,000 descriptors). */
  loaders: number;
}

/** A closed-loop echo or broadcast window, as the socketio suite's rows, on websocket or polling. */
export interface FlowRow extends RowBase {
  kind: "echo" | "fanout";
  protocol: "socketio" | "polling";
  size: number;
  depth?: number;
  /** Socket.IO rooms the clients are spread over; each broadcast goes to one room. */
  rooms?: number;
  /**
   * Compression rows: permessage-deflate on both ends (`shared`: with `server_no_context_takeover`), JSON
   * triggers, bytes on the wire counted.
   */
  deflate?: "deflate" | "shared";
  /** Echoes and triggers carry a JSON object of about `size` characters (compression rows always do). */
  json?: boolean;
}

/** N clients connecting at once, each through its first event's ack. */
export interface HandshakeRow extends RowBase {
  kind: "handshake";
  transport: HandshakeTransport;
}

export type TrioRow = ScaleRow | FlowRow | HandshakeRow;

/** [Volley, socket.io, floor]; with --aa [socket.io, socket.io, floor]; the floor as `--floor` picks it. */
export function trioImpls(config: Pick<Config, "aa" | "floor">): [Impl, Impl, Impl] {
  const floor: Impl = config.floor === "net" ? "net-floor" : "ws-floor";
  return config.aa ? ["socket.io", "socket.io", floor] : ["volley", "socket.io", floor];
}

const HALF = { ratio: 0.5, label: "≤ ½" };
const THIRD = { ratio: 1 / 3, label: "≤ ⅓" };
const STALL = { max: 50, label: "≤ 50 ms" };
const FLOOR = { floorRatio: 1, label: "≤ 1.0× bare ws" };

const CPU_MSG: Measure = { key: "cpuUs", label: "CPU µs/msg", digits: 2 };
const CPU_DELIVERY: Measure = { key: "cpuUs", label: "CPU µs/delivery", digits: 2 };
/** The system-time share of the CPU figure (`process.cpuUsage().system`): mostly the socket writes. */
const KERNEL: Measure = { key: "sysUs", label: "of which kernel µs/delivery", digits: 2 };
const RATE: Measure = { key: "rate", label: "msgs/s", digits: 0, higherIsBetter: true };
const P50: Measure = { key: "p50", label: "p50 ms", digits: 2 };
const P99: Measure = { key: "p99", label: "p99 ms", digits: 2 };
const STALL_MAX: Measure = { key: "stallMs", label: "max event-loop stall ms", digits: 1 };
/** The server's own part of a stall: the most its main thread ran between two ticks of a 10 ms timer. */
const STALL_RUN: Measure = { key: "stallRunMs", label: "longest run between timer ticks ms", digits: 1 };
/** The longest gap's time waiting for a core (other processes on a loaded machine). */
const STALL_WAIT: Measure = {
  key: "stallWaitMs",
  label: "of the longest gap, waiting for a core ms",
  digits: 1,
};

export function scaleRows(c: Config): ScaleRow[] {
  const counts = c.quick ? [250, 500, 1000, 2000] : [1000, 5000, 10_000, 19_000];
  return counts.map((n, i) => ({
    kind: "scale",
    name: `sio idle, ${n} connections`,
    clients: n,
    // The largest row always goes through two load processes (19,000: neither side near 20,000).
    loaders: i === counts.length - 1 ? 2 : 1,
    measures: [
      { key: "rssKb", label: "RSS KB/conn", digits: 2, budget: THIRD },
      { key: "heapKb", label: "heap KB/conn", digits: 2, budget: THIRD },
      { key: "connectMs", label: "connect all ms", digits: 0 },
      { key: "rssMb", label: "RSS growth MB", digits: 1 },
      { key: "heapMb", label: "heap growth MB", digits: 1 },
    ],
  }));
}

export function pollingRows(c: Config): FlowRow[] {
  const echo = c.quick ? 20 : 50;
  const fan = c.quick ? 200 : 500;
  return [
    {
      kind: "echo",
      name: `polling echo+ack 32 B, ${echo} clients`,
      protocol: "polling",
      clients: echo,
      size: 32,
      measures: [{ ...CPU_MSG, budget: HALF }, RATE, P50, P99],
    },
    {
      kind: "fanout",
      name: `polling io.emit 32 B to ${fan}`,
      protocol: "polling",
      clients: fan,
      size: 32,
      depth: 2,
      measures: [{ ...CPU_DELIVERY, budget: HALF }, { ...RATE, label: "deliveries/s" }, P50, P99],
    },
  ];
}

export function handshakeRows(c: Config): HandshakeRow[] {
  const n = c.quick ? 300 : 2000;
  const measures: Measure[] = [
    {
      key: "rate",
      label: "connects/s",
      digits: 0,
      higherIsBetter: true,
      budget: { ratio: 1.5, label: "≥ 1.5×" },
    },
    { key: "cpuUs", label: "CPU µs/connect", digits: 1 },
    { ...STALL_MAX, budget: STALL },
    STALL_RUN,
    STALL_WAIT,
    { key: "p50", label: "p50 ms to first ack", digits: 1 },
    { key: "p99", label: "p99 ms to first ack", digits: 1 },
  ];
  return [
    {
      kind: "handshake",
      name: `connect storm, ${n} clients, websocket`,
      transport: "websocket",
      clients: n,
      measures,
    },
    {
      kind: "handshake",
      name: `connect storm, ${n} clients, polling + upgrade`,
      transport: "polling-upgrade",
      clients: n,
      measures,
    },
  ];
}

export function broadcastRows(c: Config): FlowRow[] {
  const n = c.quick ? 1000 : 5000;
  return [
    {
      kind: "fanout",
      name: `io.emit 32 B to ${n}, one at a time`,
      protocol: "socketio",
      clients: n,
      size: 32,
      depth: 1,
      measures: [
        CPU_DELIVERY,
        { ...P50, label: "p50 ms to last" },
        { ...P99, label: "p99 ms to last" },
        { ...STALL_MAX, budget: STALL },
        STALL_RUN,
        STALL_WAIT,
      ],
    },
  ];
}

export function compressionRows(c: Config): FlowRow[] {
  const n = c.quick ? 200 : 1000;
  const measures: Measure[] = [
    CPU_DELIVERY,
    { key: "bytesPerDelivery", label: "bytes/delivery on the wire", digits: 0 },
    { ...RATE, label: "deliveries/s" },
    { ...P50, label: "p50 ms to last" },
  ];
  const row = (deflate: "deflate" | "shared", option: string): FlowRow => ({
    kind: "fanout",
    name: `io.emit 4 KB JSON to ${n}, perMessageDeflate ${option}`,
    protocol: "socketio",
    clients: n,
    size: 4096,
    depth: 2,
    deflate,
    measures,
  });
  // Plain `true` (each connection keeps its own context), and the shared form, where one deflate can serve
  // every recipient: the same option on all three servers, so the bytes on the wire are comparable.
  return [row("deflate", "true"), row("shared", "{ serverNoContextTakeover }")];
}

/** The socketio suite's rows (rows.ts) again, with the floor as a third server, then the 4 KB JSON rows. */
export function floorRows(c: Config): FlowRow[] {
  const rows: FlowRow[] = socketioRows(c).map((row) => ({
    kind: row.kind,
    name: row.name,
    protocol: "socketio",
    clients: row.clients,
    size: row.size,
    depth: row.depth,
    rooms: row.rooms,
    // DESIGN.md: Socket.IO echo+ack and fan-out on WebSocket ≤ 1.0× the bare-ws floor.
    measures:
      row.kind === "echo"
        ? [{ ...CPU_MSG, budget: FLOOR }, RATE, P50, P99]
        : [{ ...CPU_DELIVERY, budget: FLOOR }, { ...RATE, label: "deliveries/s" }, P50, P99],
  }));
  return [...rows, ...jsonFloorRows(c)];
}

/**
 * Issue 16 item 7: an app's payload (a ~4 KB JSON object, decoded and re-encoded by the server) rather
 * than a short string. Echo+ack with one client; and `io.to(room).emit` where every client is alone in
 * its own room, so each trigger is one broadcast to one socket (the per-broadcast cost, a direct message).
 * Budget: Volley ≤ 1.0× the floor.
 */
export function jsonFloorRows(c: Config): FlowRow[] {
  const rooms = c.quick ? 200 : 1000;
  return [
    {
      kind: "echo",
      name: "sio echo+ack 4 KB JSON, 1 client",
      protocol: "socketio",
      clients: 1,
      size: 4096,
      json: true,
      measures: [
        { ...CPU_MSG, budget: FLOOR },
        { ...KERNEL, label: "of which kernel µs/msg" },
        RATE,
        P50,
        P99,
      ],
    },
    {
      kind: "fanout",
      name: `sio io.to(room).emit 4 KB JSON, ${rooms} clients each in its own room`,
      protocol: "socketio",
      clients: rooms,
      size: 4096,
      rooms,
      depth: 2,
      json: true,
      measures: [
        { ...CPU_DELIVERY, budget: FLOOR },
        KERNEL,
        { ...RATE, label: "deliveries/s" },
        { ...P50, label: "p50 ms to last" },
        P99,
      ],
    },
  ];
}

export function trioRows(suite: TrioSuite, c: Config): TrioRow[] {
  switch (suite) {
    case "scale":
      return scaleRows(c);
    case "polling":
      return pollingRows(c);
    case "handshake":
      return handshakeRows(c);
    case "broadcast":
      return broadcastRows(c);
    case "compression":
      return compressionRows(c);
    case "floor":
      return floorRows(c);
  }
}
