/**
 * `@volley/admin` — a live admin view for a Volley server: an opt-in page showing namespaces, rooms,
 * sockets, metrics and cluster nodes, from which an operator can disconnect a socket or make it leave
 * a room. It talks to the server through Volley itself, in an authenticated namespace.
 * @packageDocumentation
 */
export type { AdminAction } from "./actions.js";
export { Admin, type AdminEvents, attachAdmin } from "./admin.js";
export { hashPassword, type ScryptCost } from "./credentials.js";
export type { AdminOptions } from "./options.js";
export type { NamespaceView, NodeSummary, NodeView, SocketView, Snapshot } from "./snapshot.js";
export type { Sample } from "./history.js";
