// `io.metrics()` as Prometheus families (`volley_` prefix, `_total` counters, units in the names; the text
// format itself is prometheus-text.ts). The `metrics` option serves it at a path of the server's own
// http.Server.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MetricsSnapshot } from "./metrics-snapshot.js";
import { entries, Exposition, type Sample } from "./prometheus-text.js";

/** The `metrics` option: serve the Prometheus exposition at `path` (GET and HEAD). */
export interface MetricsOptions {
  /** Path of the exposition on the attached http server. Default "/metrics". */
  path?: string;
}

/** The content type of the text format, as Prometheus asks for it. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The snapshot as Prometheus text. */
export function toPrometheus(m: MetricsSnapshot): string {
  const out = new Exposition();
  const connections: Sample[] = [];
  for (const [namespace, byTransport] of Object.entries(m.connections)) {
    for (const [transport, count] of Object.entries(byTransport)) {
      connections.push([{ namespace, transport }, count]);
    }
  }
  out.family("volley_connections", "gauge", "Sockets connected, by namespace and transport.", connections);
  const e = m.engine;
  out.family(
    "volley_engine_sessions",
    "gauge",
    "Open Engine.IO sessions, by current transport.",
    entries(e.sessions, "transport"),
  );
  out.family(
    "volley_engine_handshakes_total",
    "counter",
    "Engine.IO sessions opened, by the transport of the handshake.",
    entries(e.handshakes, "transport"),
  );
  out.family(
    "volley_engine_refusals_total",
    "counter",
    "Engine.IO requests and upgrades refused, by reason.",
    entries(e.refusals, "reason"),
  );
  out.single(
    "volley_engine_upgrades_total",
    "counter",
    "Sessions upgraded from polling to websocket.",
    e.upgrades,
  );
  out.single(
    "volley_engine_upgrade_failures_total",
    "counter",
    "Upgrades that failed (probe error, websocket closed, upgradeTimeout); the session stays on polling.",
    e.upgradeFailures,
  );
  out.family(
    "volley_engine_sessions_closed_total",
    "counter",
    "Engine.IO sessions closed, by close reason.",
    entries(e.closes, "reason"),
  );
  out.single(
    "volley_engine_messages_received_total",
    "counter",
    "Engine.IO message packets received from clients.",
    e.messagesReceived,
  );
  out.single(
    "volley_engine_received_bytes_total",
    "counter",
    "Payload size of the message packets received (text in UTF-16 code units).",
    e.bytesReceived,
  );
  out.single(
    "volley_engine_messages_sent_total",
    "counter",
    "Engine.IO message packets queued for clients (a broadcast counts once per recipient).",
    e.messagesSent,
  );
  out.single(
    "volley_engine_sent_bytes_total",
    "counter",
    "Payload size of the message packets queued for clients (text in UTF-16 code units).",
    e.bytesSent,
  );
  out.single(
    "volley_engine_buffered_bytes",
    "gauge",
    "Bytes queued for clients and not yet written, all sessions.",
    e.bufferedBytes.total,
  );
  out.single(
    "volley_engine_buffered_bytes_max",
    "gauge",
    "Bytes queued and not yet written for the most behind session.",
    e.bufferedBytes.max,
  );
  out.family(
    "volley_engine_close_hints_total",
    "counter",
    "Close hints given to clients just before their session closed, by reason.",
    entries(e.closeHints, "reason"),
  );
  out.single(
    "volley_engine_owed_close_hints_total",
    "counter",
    "Close hints kept for the next poll of a polling session closed while no poll was waiting.",
    e.owedCloseHints.owed,
  );
  out.single(
    "volley_engine_owed_close_hints_delivered_total",
    "counter",
    "Owed close hints answered on a later poll of their session.",
    e.owedCloseHints.delivered,
  );
  out.single(
    "volley_engine_owed_close_hints_expired_total",
    "counter",
    "Owed close hints forgotten undelivered after owedCloseHints.ttl.",
    e.owedCloseHints.expired,
  );
  out.single(
    "volley_engine_owed_close_hints_evicted_total",
    "counter",
    "Owed close hints forgotten undelivered to stay within owedCloseHints.max.",
    e.owedCloseHints.evicted,
  );
  out.family(
    "volley_connect_refusals_total",
    "counter",
    "Namespace CONNECTs refused: by a middleware, or for the namespace (unknown, over maxChildNamespaces).",
    entries(m.connectRefusals, "kind"),
  );
  out.family(
    "volley_packets_received_total",
    "counter",
    "Socket.IO packets received from clients, by type.",
    entries(m.packetsReceived, "type"),
  );
  out.family(
    "volley_packets_sent_total",
    "counter",
    "Socket.IO packets written to one client (emits, acks, CONNECT answers), by type; broadcasts apart.",
    entries(m.packetsSent, "type"),
  );
  out.single("volley_broadcasts_total", "counter", "Broadcasts encoded (once each).", m.broadcasts);
  out.single(
    "volley_broadcast_deliveries_total",
    "counter",
    "Broadcast packets handed to a connection (one per recipient).",
    m.broadcastDeliveries,
  );
  out.single(
    "volley_acks_requested_total",
    "counter",
    "Acknowledgements the server asked clients for.",
    m.acks.requested,
  );
  out.single(
    "volley_acks_received_total",
    "counter",
    "Acknowledgements received from clients.",
    m.acks.received,
  );
  out.single(
    "volley_acks_timed_out_total",
    "counter",
    "Acknowledgements given up on after timeout().",
    m.acks.timedOut,
  );
  out.single(
    "volley_recovery_attempts_total",
    "counter",
    "Connection-state recoveries asked for (CONNECT with a private session id).",
    m.recovery.attempts,
  );
  out.single(
    "volley_recovery_successes_total",
    "counter",
    "Sockets restored by connection-state recovery.",
    m.recovery.successes,
  );
  exactlyOnceFamilies(out, m.exactlyOnce);
  out.family(
    "volley_disconnects_total",
    "counter",
    "Sockets disconnected, by reason.",
    entries(m.disconnects, "reason"),
  );
  out.single(
    "volley_volatile_dropped_total",
    "counter",
    "Volatile packets dropped because the client could not take them (slow consumer).",
    m.slowConsumers.volatileDropped,
  );
  out.single(
    "volley_slow_consumer_disconnects_total",
    "counter",
    "Sessions closed for buffering more than maxBufferedBytes.",
    m.slowConsumers.disconnects,
  );
  clusterFamilies(out, m);
  return out.text();
}

function exactlyOnceFamilies(out: Exposition, x: MetricsSnapshot["exactlyOnce"]): void {
  out.single(
    "volley_exactly_once_repeats_answered_total",
    "counter",
    "Exactly-once: client emits repeated after their handler answered, answered from the record (not run again).",
    x.repeatsAnswered,
  );
  out.single(
    "volley_exactly_once_repeats_awaited_total",
    "counter",
    "Exactly-once: client emits repeated while their handler still ran, answered when it answers (not run again).",
    x.repeatsAwaited,
  );
  out.single(
    "volley_exactly_once_repeats_forgotten_total",
    "counter",
    "Exactly-once: client emits repeated after a bound dropped their record, dropped unanswered.",
    x.repeatsForgotten,
  );
  out.single(
    "volley_exactly_once_emits_resent_total",
    "counter",
    "Exactly-once: server emits still unacknowledged, written again to a recovered connection.",
    x.emitsResent,
  );
  out.single(
    "volley_exactly_once_emits_untracked_total",
    "counter",
    "Exactly-once: server emits with an ack sent at most once, maxEmits being already pending.",
    x.emitsUntracked,
  );
  out.family(
    "volley_exactly_once_records_dropped_total",
    "counter",
    "Exactly-once: records of client emits dropped, oldest first, by the bound that forced it.",
    entries(x.recordsDropped, "bound"),
  );
  out.single(
    "volley_exactly_once_sessions_expired_total",
    "counter",
    "Exactly-once: sessions whose client did not come back within maxDisconnectionDuration.",
    x.sessionsExpired,
  );
}

function clusterFamilies(out: Exposition, m: MetricsSnapshot): void {
  const cluster = Object.entries(m.cluster);
  if (cluster.length === 0) return;
  const per = (pick: (c: (typeof cluster)[number][1]) => number): Sample[] =>
    cluster.map(([namespace, c]) => [{ namespace }, pick(c)] as const);
  out.family(
    "volley_cluster_nodes",
    "gauge",
    "Servers serving the namespace in the cluster (this one and the live others).",
    per((c) => c.nodes),
  );
  out.family(
    "volley_cluster_requests_total",
    "counter",
    "Requests sent to the other nodes.",
    per((c) => c.requests),
  );
  out.family(
    "volley_cluster_requests_failed_total",
    "counter",
    "Requests that ended without every answer (timeout, adapter closed, send failed).",
    per((c) => c.requestsFailed),
  );
  out.histogram(
    "volley_cluster_request_duration_seconds",
    "Time from sending a request to its last answer or its end.",
    cluster.map(([namespace, c]) => ({ labels: { namespace }, ...c.requestDuration })),
  );
  const errors: Sample[] = [];
  for (const [namespace, c] of cluster) {
    for (const [code, count] of Object.entries(c.errors)) errors.push([{ namespace, code }, count]);
  }
  out.family(
    "volley_cluster_errors_total",
    "counter",
    "Errors the cluster adapter reported (transport, e.g. Redis, and bad messages), by code.",
    errors,
  );
  out.family(
    "volley_cluster_broadcasts_lost_total",
    "counter",
    "Broadcasts for other nodes lost while the transport was down.",
    per((c) => c.broadcastsLost),
  );
}

/** Serves the exposition at `path`; true when the request was for it (and answered). */
export function serveMetrics(
  path: string,
  snapshot: () => MetricsSnapshot,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  if ((query < 0 ? url : url.slice(0, query)) !== path) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" });
    res.end("Method Not Allowed");
    return true;
  }
  const body = toPrometheus(snapshot());
  res.writeHead(200, {
    "Content-Type": PROMETHEUS_CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

/** Resolves the `metrics` option: the path to serve, or undefined when off. */
export function resolveMetricsPath(option: MetricsOptions | boolean | undefined): string | undefined {
  if (option === undefined || option === false) return undefined;
  const path = option === true ? "/metrics" : (option.path ?? "/metrics");
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`option metrics.path must start with "/" (got ${JSON.stringify(path)})`);
  }
  return path;
}
