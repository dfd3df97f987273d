// Every option of the worker-side adapter, its default, and the one place it is checked.
import { type ClusterAdapterOptions, resolveClusterOptions } from "volley";
import type { IpcPort } from "./worker-channel.js";

/** Options of {@link createAdapter} (the cluster options of every Volley cluster adapter included). */
export interface NodeClusterAdapterOptions extends ClusterAdapterOptions {
  /** Servers sharing a key form one cluster (several `Server`s in each worker may keep apart). Default `"volley"`. */
  key?: string;
  /**
   * Most bytes handed to the IPC channel and not yet written. Past a quarter of it broadcasts are
   * kept in the outage buffer until the channel drains to an eighth; past it any message is dropped
   * and reported (`TRANSPORT_ERROR`). Default 64 MiB.
   */
  maxBacklogBytes?: number;
  /** The IPC endpoint to the primary. Default `process` (a `node:cluster` worker). */
  port?: IpcPort;
  /**
   * How frames travel: "advanced" (bytes as they are; the channel must use advanced serialization,
   * as {@link setupPrimary} sets) or "json" (base64). Default: what the channel was forked with.
   */
  serialization?: "advanced" | "json";
}

/** @internal */
export interface ResolvedNodeClusterOptions {
  key: string;
  maxBacklogBytes: number;
  port: IpcPort;
  advanced: boolean;
}

/** @throws TypeError naming the option when a value is out of range, or when there is no IPC channel. */
export function resolveOptions(opts: NodeClusterAdapterOptions = {}): ResolvedNodeClusterOptions {
  resolveClusterOptions(opts);
  const key = opts.key ?? "volley";
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError(`option key must be a non-empty string (got ${JSON.stringify(key)})`);
  }
  const maxBacklogBytes = opts.maxBacklogBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(maxBacklogBytes) || maxBacklogBytes < 1024) {
    throw new TypeError(
      `option maxBacklogBytes must be an integer of at least 1024 (got ${String(maxBacklogBytes)})`,
    );
  }
  const port = opts.port ?? (process as IpcPort);
  if (typeof port.send !== "function") {
    throw new TypeError(
      "no IPC channel to a primary: @volley/cluster-adapter runs in a node:cluster worker (see runClustered), or give option port",
    );
  }
  const serialization =
    opts.serialization ?? (process.env.NODE_CHANNEL_SERIALIZATION_MODE === "advanced" ? "advanced" : "json");
  if (serialization !== "advanced" && serialization !== "json") {
    throw new TypeError(
      `option serialization must be "advanced" or "json" (got ${JSON.stringify(serialization)})`,
    );
  }
  return { key, maxBacklogBytes, port, advanced: serialization === "advanced" };
}
