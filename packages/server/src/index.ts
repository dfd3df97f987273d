/**
 * `volley` — the Socket.IO-compatible server.
 * @packageDocumentation
 */
export {
  Adapter,
  type AdapterConstructor,
  type AdapterEvents,
  type BroadcastFlags,
  type BroadcastOptions,
  InMemoryAdapter,
  type PrivateSessionId,
  type RestoredSession,
  type Room,
  type Session,
  type SocketDetails,
  type SocketId,
} from "./adapter.js";
export type { AdapterHost, AdapterRecoverySettings } from "./adapter-host.js";
export {
  type BroadcastAckEventNames,
  type BroadcastEventNames,
  BroadcastOperator,
  RemoteSocket,
} from "./broadcast-operator.js";
export { type ClusterChannel, ClusterAdapter } from "./cluster-adapter.js";
export { ClusterNode } from "./cluster-node.js";
export { LoggedClusterAdapter } from "./logged-cluster-adapter.js";
export {
  type RecoveryBackend,
  type SessionRecord,
  type TakenSession,
  encodeSessionRecord,
  toSessionRecord,
} from "./cluster/logged-recovery.js";
export type { LoggedBroadcast, LogRead } from "./cluster/pending-restores.js";
export {
  ClusterAdapterError,
  type ClusterAdapterErrorCode,
  toClusterAdapterError,
} from "./cluster/errors.js";
export { decodeFrame, encodeFrame } from "./cluster/message-codec.js";
export {
  type Message as ClusterMessage,
  MessageType as ClusterMessageType,
  validateMessage,
  type WireOptions,
  type WirePacket,
  type WireRoom,
} from "./cluster/messages.js";
export type { ClusterAdapterOptions } from "./cluster/options.js";
export { resolveClusterOptions } from "./cluster/options.js";
export { OrderedSender } from "./cluster/ordered-sender.js";
export {
  type SessionSource,
  SessionSnapshots,
  type SnapshotSink,
} from "./cluster/session-snapshots.js";
export { fromWire, reaches, toWire } from "./cluster/wire.js";
export type { Delivery, Membership } from "./fan-out.js";
export type { Client } from "./client.js";
export type { DisconnectReason } from "./disconnect-reason.js";
export type { CloseOptions, GracefulCloseOptions } from "./graceful-close.js";
export type { Handshake } from "./handshake.js";
export { type ExtendedError, Namespace, type NamespaceMiddleware } from "./namespace.js";
export { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
export type { EventRateLimitOptions, EventRatePolicy } from "./rate-limiter.js";
export { type LogEntry, RecoveryLog, type RecoveryLogOptions } from "./recovery-log.js";
export { type ConnectionStateRecoveryOptions, Server, type ServerOptions } from "./server.js";
export { type Event, Socket, type SocketMiddleware } from "./socket.js";
export type {
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
} from "./typed-events.js";
export { type Packet, PacketType, type Parser, parser, ProtocolError } from "@volley/protocol";
export type {
  ClusterMetricsSnapshot,
  EngineMetricsSnapshot,
  HistogramSnapshot,
  MetricsSnapshot,
} from "./metrics-snapshot.js";
export {
  createDebug,
  DebugLogger,
  type DebugOutput,
  enableDebug,
  isDebugEnabled,
  setDebugOutput,
} from "@volley/engine";
export {
  type MetricsOptions,
  PROMETHEUS_CONTENT_TYPE,
  toPrometheus,
} from "./prometheus.js";
