/**
 * `@volley/cluster-adapter` — every core of one machine, no Redis: the workers of a `node:cluster`
 * act as one server through the primary.
 *
 * ```ts
 * import { createServer } from "node:http";
 * import { Server } from "volley";
 * import { createAdapter, createSessionRouter, runClustered } from "@volley/cluster-adapter";
 * await runClustered(async () => {
 *   const httpServer = createServer();
 *   const io = new Server(httpServer, {
 *     adapter: createAdapter(),
 *     sessionRouter: await createSessionRouter(httpServer),
 *   });
 *   httpServer.listen(3000);
 * });
 * ```
 * @packageDocumentation
 */
import type { AdapterConstructor, Namespace } from "volley";
import { NodeClusterAdapter } from "./node-cluster-adapter.js";
import { type NodeClusterAdapterOptions, resolveOptions } from "./options.js";

export { NodeClusterAdapter } from "./node-cluster-adapter.js";
export type { NodeClusterAdapterOptions } from "./options.js";
export {
  type ClusterHandle,
  type RunClusteredOptions,
  runClustered,
  setupPrimary,
  type WorkerCleanup,
} from "./primary.js";
export {
  type PrimaryOptions,
  PrimaryRelay,
  type PrimaryRelayEvents,
  type RelayStats,
  type WorkerPort,
} from "./primary-relay.js";
export {
  createSessionRouter,
  IpcNodeDirectory,
  type SessionRouterOptions,
  WorkerSessionRouter,
} from "./session-forwarding.js";
export type { IpcPort } from "./worker-channel.js";

/**
 * The `adapter` option of a Volley `Server` in a `node:cluster` worker: one
 * {@link NodeClusterAdapter} per namespace, all on the worker's IPC channel to the primary (which
 * must run {@link setupPrimary}, as {@link runClustered} does).
 * @throws TypeError when an option is out of range (named in the message) or there is no IPC channel.
 */
export function createAdapter(opts: NodeClusterAdapterOptions = {}): AdapterConstructor {
  // Checked now, so a bad option fails at start-up rather than at the first namespace.
  resolveOptions(opts);
  return class extends NodeClusterAdapter {
    constructor(nsp: Namespace) {
      super(nsp, opts);
    }
  };
}
