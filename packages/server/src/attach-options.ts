// Which option goes where: the server's own settings, the engine's options, the options of the
// engine's `attach`, and those that only make sense when the server is built. `attach(srv, opts)` /
// `listen(port, opts)` take the same options as the constructor; what they give wins over what the
// constructor got, and a construction-only option there is a TypeError instead of being ignored.
import type { EngineServerOptions } from "@volley/engine";
import type { AdapterConstructor } from "./adapter.js";
import type { ServerOptions } from "./server-options.js";

/** Options of `attach(srv, opts)` / `listen(srv, opts)`: the server's options, plus `host`. */
export interface AttachOptions extends ServerOptions {
  /** Interface the server Volley creates for `listen(port)` binds to. Default: all interfaces (Node's). */
  host?: string;
}

/** Options only the constructor takes: namespaces, their adapters and the codec already exist after it. */
export const CONSTRUCTION_ONLY = [
  "parser",
  "decoder",
  "connectionStateRecovery",
  "exactlyOnce",
  "cleanupEmptyChildNamespaces",
  "maxChildNamespaces",
  "metrics",
] as const;

/** Options the server layer reads itself; every other option is the engine's. */
const SERVER_OPTIONS = [
  ...CONSTRUCTION_ONLY,
  "path",
  "serveClient",
  "connectTimeout",
  "adapter",
  "eventRateLimit",
  "httpLimits",
  "destroyUpgrade",
  "destroyUpgradeTimeout",
  "host",
] as const;

/** What `attach(srv, opts)` changes, sorted by who reads it. */
export interface AttachSettings {
  path?: string;
  serveClient?: boolean;
  connectTimeout?: number;
  adapter?: AdapterConstructor;
  eventRateLimit?: ServerOptions["eventRateLimit"];
  httpLimits?: ServerOptions["httpLimits"];
  destroyUpgrade?: boolean;
  destroyUpgradeTimeout?: number;
  host?: string;
  /** Engine options given (only the keys present); empty when none. */
  engine: EngineServerOptions;
}

/** The engine's options among `opts` (without `path`: the server derives the engine's path from its own). */
export function engineOptionsOf(opts: ServerOptions): EngineServerOptions {
  const engine: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined || key === "path") continue;
    if (!(SERVER_OPTIONS as readonly string[]).includes(key)) engine[key] = value;
  }
  return engine as EngineServerOptions;
}

/**
 * Sorts the options of `attach(srv, opts)`.
 * @throws TypeError when `opts` holds an option only the constructor takes.
 */
export function resolveAttachOptions(opts: AttachOptions | undefined): AttachSettings {
  if (opts === undefined) return { engine: {} };
  if (typeof opts !== "object" || opts === null) {
    throw new TypeError(`attach()/listen() options must be an object (got ${String(opts)})`);
  }
  const late = CONSTRUCTION_ONLY.filter((key) => opts[key] !== undefined);
  if (late.length > 0) {
    throw new TypeError(
      `option${late.length > 1 ? "s" : ""} ${late.join(", ")} can only be given to new Server(), not to attach()/listen()`,
    );
  }
  return {
    path: opts.path,
    serveClient: opts.serveClient,
    connectTimeout: opts.connectTimeout,
    adapter: opts.adapter,
    eventRateLimit: opts.eventRateLimit,
    httpLimits: opts.httpLimits,
    destroyUpgrade: opts.destroyUpgrade,
    destroyUpgradeTimeout: opts.destroyUpgradeTimeout,
    host: opts.host,
    engine: engineOptionsOf(opts),
  };
}
