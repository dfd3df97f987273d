// The shape of `io.metrics()`: a plain, JSON-serializable copy of every counter and gauge at one
// moment. The Prometheus exposition and the admin view both read this, so it stays stable: fields
// are added, never renamed or removed.
import type { EngineMetricsSnapshot } from "@volley/engine";

export type { EngineMetricsSnapshot };

/** A latency histogram: cumulative counts per upper bound, as Prometheus histograms are. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, in seconds, ascending (the last bucket, +Inf, is `count`). */
  bounds: number[];
  /** Observations ≤ each bound (cumulative), same length as `bounds`. */
  counts: number[];
  /** Observations in all. */
  count: number;
  /** Sum of the observations, seconds. */
  sum: number;
}

/** What a cluster adapter reports about its node (see `Adapter.clusterMetrics`). */
export interface ClusterMetricsSnapshot {
  /** Servers of the cluster serving the namespace: this one and the live others. */
  nodes: number;
  /** Requests sent to the other nodes (fetchSockets, serverSideEmitWithAck, allRooms, …). */
  requests: number;
  /** Requests that ended without every answer (timeout, adapter closed, send failed). */
  requestsFailed: number;
  /** Time from sending a request to its last answer (or its end), seconds. */
  requestDuration: HistogramSnapshot;
  /** Errors the adapter reported (transport errors, bad messages, …), by error code. */
  errors: Record<string, number>;
  /** Broadcasts for the other nodes lost while the transport was down (outage buffer full or closed). */
  broadcastsLost: number;
}

/** `io.metrics()`: every counter since the server started, and the gauges now. */
export interface MetricsSnapshot {
  /** When the snapshot was taken, ms since the epoch. */
  time: number;
  /** Connected sockets by namespace, then by the transport of their connection (`polling`, `websocket`). */
  connections: Record<string, Record<string, number>>;
  /** The Engine.IO layer: sessions, handshakes, refusals, upgrades, closes, messages, bytes, buffers. */
  engine: EngineMetricsSnapshot;
  /** Namespace CONNECTs refused: `middleware` (a middleware's error), `namespace` (unknown or over the limit). */
  connectRefusals: Record<string, number>;
  /** Socket.IO packets decoded from clients, by type (`CONNECT`, `EVENT`, `ACK`, …). */
  packetsReceived: Record<string, number>;
  /** Socket.IO packets written to one client (emits, acks, CONNECT answers, …), by type; broadcasts apart. */
  packetsSent: Record<string, number>;
  /** Broadcasts encoded (each once, whatever the number of recipients). */
  broadcasts: number;
  /** Packets of broadcasts handed to a connection (one per recipient and packet). */
  broadcastDeliveries: number;
  /** Acknowledgements the server asked clients for, received, and given up on (`timeout()`). */
  acks: { requested: number; received: number; timedOut: number };
  /** Connection-state recovery: restores asked for (a CONNECT with a `pid`), and restored sockets. */
  recovery: { attempts: number; successes: number };
  /** Exactly-once processing (the `exactlyOnce` option, for clients that ask for it): repeats, resends, bounds. */
  exactlyOnce: {
    /** Client emits repeated (same ack id) after their handler answered: answered from the record, not run again. */
    repeatsAnswered: number;
    /** Client emits repeated while their handler still ran: not run again, answered when the handler answers. */
    repeatsAwaited: number;
    /** Client emits repeated after a bound dropped their record: taken as processed, dropped unanswered. */
    repeatsForgotten: number;
    /** Server emits with an ack still unanswered, written again to a recovered connection of their session. */
    emitsResent: number;
    /** Server emits with an ack sent the ordinary, at-most-once way: `maxEmits` of the session's were pending. */
    emitsUntracked: number;
    /** Records of client emits dropped, oldest first, by the bound that forced it (`maxEmits`, `maxBytes`). */
    recordsDropped: { maxEmits: number; maxBytes: number };
    /**
     * Sessions whose client did not come back within `maxDisconnectionDuration`, their record dropped (counted
     * when noticed: at the namespace's next exactly-once connection or disconnection).
     */
    sessionsExpired: number;
  };
  /** Sockets disconnected, by reason (`transport close`, `ping timeout`, `client namespace disconnect`, …). */
  disconnects: Record<string, number>;
  /** Slow consumers: volatile packets dropped for a client that could not take them, sessions closed over `maxBufferedBytes`. */
  slowConsumers: { volatileDropped: number; disconnects: number };
  /** By namespace, for adapters that report cluster metrics. */
  cluster: Record<string, ClusterMetricsSnapshot>;
}
