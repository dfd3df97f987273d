// What the server layer counts (packets, broadcasts, acks, recovery, exactly-once, disconnects) and how a
// snapshot is put together with the engine's counters, the connections and the adapters' reports.
// Per-packet counters are number fields or array slots indexed by packet type: no map per packet.
import { PacketType } from "@volley/protocol";
import type { ClusterMetricsSnapshot, MetricsSnapshot } from "./metrics-snapshot.js";

/** Packet type names by wire number (the labels of the packet counters). */
const PACKET_TYPE_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, value] of Object.entries(PacketType)) names[value] = name;
  return names;
})();

/** The server's live counters, one per {@link Server}. @internal */
export class ServerCounters {
  /** Indexed by packet type. */
  readonly packetsReceived: number[] = PACKET_TYPE_NAMES.map(() => 0);
  /** Indexed by packet type. */
  readonly packetsSent: number[] = PACKET_TYPE_NAMES.map(() => 0);
  broadcasts = 0;
  broadcastDeliveries = 0;
  acksRequested = 0;
  acksReceived = 0;
  acksTimedOut = 0;
  recoveryAttempts = 0;
  recoverySuccesses = 0;
  volatileDropped = 0;
  /** Exactly-once: client emits repeated after their handler answered, answered again from the record. */
  exactlyOnceRepeatsAnswered = 0;
  /** Exactly-once: client emits repeated while their handler still ran, answered when it answers. */
  exactlyOnceRepeatsAwaited = 0;
  /** Exactly-once: client emits repeated after a bound dropped their record, dropped unanswered. */
  exactlyOnceRepeatsForgotten = 0;
  /** Exactly-once: server emits still unacknowledged, written again to the session's next connection. */
  exactlyOnceEmitsResent = 0;
  /** Exactly-once: server emits sent the ordinary, at-most-once way, `maxEmits` being already pending. */
  exactlyOnceEmitsUntracked = 0;
  /** Exactly-once: records of client emits dropped to stay within `maxEmits`. */
  exactlyOnceRecordsDroppedMaxEmits = 0;
  /** Exactly-once: records of client emits dropped to stay within `maxBytes` (or whose answer exceeds it). */
  exactlyOnceRecordsDroppedMaxBytes = 0;
  /** Exactly-once: sessions whose client did not come back within `maxDisconnectionDuration`, record dropped. */
  exactlyOnceSessionsExpired = 0;
  private readonly disconnects = new Map<string, number>();
  private readonly connectRefusals = new Map<string, number>();

  disconnected(reason: string): void {
    this.disconnects.set(reason, (this.disconnects.get(reason) ?? 0) + 1);
  }

  /** A namespace CONNECT refused: `middleware` or `namespace`. */
  connectRefused(kind: "middleware" | "namespace"): void {
    this.connectRefusals.set(kind, (this.connectRefusals.get(kind) ?? 0) + 1);
  }

  /** @internal */
  disconnectsByReason(): Record<string, number> {
    return Object.fromEntries(this.disconnects);
  }

  /** @internal */
  connectRefusalsByKind(): Record<string, number> {
    return Object.fromEntries(this.connectRefusals);
  }
}

function byPacketType(counts: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let type = 0; type < PACKET_TYPE_NAMES.length; type++) out[PACKET_TYPE_NAMES[type]!] = counts[type]!;
  return out;
}

/** What a snapshot reads of the server: its counters, engine, namespaces and their adapters. */
export interface MetricsSource {
  readonly counters: ServerCounters;
  readonly engine: { metrics(): MetricsSnapshot["engine"] };
  namespaces(): Iterable<{
    readonly name: string;
    readonly sockets: ReadonlyMap<
      unknown,
      { readonly conn: { readonly transport: { readonly name: string } } }
    >;
    readonly adapter: { clusterMetrics(): ClusterMetricsSnapshot | undefined };
  }>;
}

/** Builds `io.metrics()`: O(connections) for the gauges, O(1) for the counters. */
export function collectMetrics(source: MetricsSource): MetricsSnapshot {
  const counters = source.counters;
  const connections: Record<string, Record<string, number>> = {};
  const cluster: Record<string, ClusterMetricsSnapshot> = {};
  for (const nsp of source.namespaces()) {
    const byTransport: Record<string, number> = { polling: 0, websocket: 0 };
    for (const socket of nsp.sockets.values()) {
      const name = socket.conn.transport.name;
      byTransport[name] = (byTransport[name] ?? 0) + 1;
    }
    connections[nsp.name] = byTransport;
    const report = nsp.adapter.clusterMetrics();
    if (report !== undefined) cluster[nsp.name] = report;
  }
  const engine = source.engine.metrics();
  return {
    time: Date.now(),
    connections,
    engine,
    connectRefusals: counters.connectRefusalsByKind(),
    packetsReceived: byPacketType(counters.packetsReceived),
    packetsSent: byPacketType(counters.packetsSent),
    broadcasts: counters.broadcasts,
    broadcastDeliveries: counters.broadcastDeliveries,
    acks: {
      requested: counters.acksRequested,
      received: counters.acksReceived,
      timedOut: counters.acksTimedOut,
    },
    recovery: { attempts: counters.recoveryAttempts, successes: counters.recoverySuccesses },
    exactlyOnce: {
      repeatsAnswered: counters.exactlyOnceRepeatsAnswered,
      repeatsAwaited: counters.exactlyOnceRepeatsAwaited,
      repeatsForgotten: counters.exactlyOnceRepeatsForgotten,
      emitsResent: counters.exactlyOnceEmitsResent,
      emitsUntracked: counters.exactlyOnceEmitsUntracked,
      recordsDropped: {
        maxEmits: counters.exactlyOnceRecordsDroppedMaxEmits,
        maxBytes: counters.exactlyOnceRecordsDroppedMaxBytes,
      },
      sessionsExpired: counters.exactlyOnceSessionsExpired,
    },
    disconnects: counters.disconnectsByReason(),
    slowConsumers: {
      volatileDropped: counters.volatileDropped,
      disconnects: engine.closes["slow consumer"] ?? 0,
    },
    cluster,
  };
}
