// The server's side of HTTP besides the engine: the path it answers under, the browser client and the
// metrics page it serves ahead of the engine, the settings of its hold on an http server (`httpLimits`
// for one it makes, `destroyUpgrade*`), and that hold itself: taken on attach, let go on close.
import { createServer, type Server as HttpServer } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import { type EngineServer, type HttpHardeningOptions, hardenHttpServer } from "@volley/engine";
import type { AttachSettings } from "./attach-options.js";
import { HttpAttachment } from "./http-attachment.js";
import type { MetricsSnapshot } from "./metrics-snapshot.js";
import { resolveMetricsPath, serveMetrics } from "./prometheus.js";
import { ClientBundle } from "./serve-client.js";
import type { ServerOptions } from "./server-options.js";

/** What a server attaches to. */
export type AttachTarget = HttpServer | HttpsServer | Http2SecureServer;

/** The http settings of one server and its hold on an http server. @internal */
export class ServerHttp {
  private clientPath: string;
  private bundle: ClientBundle | undefined;
  private httpLimits: HttpHardeningOptions | undefined;
  private readonly metricsPath: string | undefined;
  /** Given to the engine as it attaches: changed in place by later `attach()` options. */
  private readonly upgradeOptions: { destroyUpgrade?: boolean; destroyUpgradeTimeout?: number };
  private attachment: HttpAttachment | undefined;
  /** Whether the http server held was made by {@link ownServer}: then it is closed on release. */
  private ownHttpServer = false;

  /** From the constructor's options; `path` is already normalised. */
  constructor(opts: ServerOptions, path: string) {
    this.clientPath = path;
    this.upgradeOptions = {
      destroyUpgrade: opts.destroyUpgrade,
      destroyUpgradeTimeout: opts.destroyUpgradeTimeout,
    };
    this.httpLimits = opts.httpLimits;
    this.metricsPath = resolveMetricsPath(opts.metrics);
    this.bundle = opts.serveClient === false ? undefined : new ClientBundle(path);
  }

  /** The path the server answers under. */
  get path(): string {
    return this.clientPath;
  }

  /** Whether an http server is held now. */
  get attached(): boolean {
    return this.attachment !== undefined;
  }

  /** Answers under `path` from now on (the served client moves with it). */
  movePath(path: string): void {
    this.clientPath = path;
    if (this.bundle) this.bundle = new ClientBundle(path);
  }

  /** Whether the browser client is served. */
  get servesClient(): boolean {
    return this.bundle !== undefined;
  }

  /** Serves the browser client under the path, or stops. */
  serveClient(v: boolean): void {
    if (v && !this.bundle) this.bundle = new ClientBundle(this.clientPath);
    if (!v) this.bundle = undefined;
  }

  /** Takes the http settings of `attach()` options; `newPath` when the path changes with them. */
  configure(settings: AttachSettings, newPath: string | undefined): void {
    if (newPath !== undefined) this.clientPath = newPath;
    if (settings.serveClient !== undefined) this.serveClient(settings.serveClient);
    else if (newPath !== undefined && this.bundle) this.bundle = new ClientBundle(newPath);
    if (settings.httpLimits !== undefined) this.httpLimits = settings.httpLimits;
    if (settings.destroyUpgrade !== undefined) this.upgradeOptions.destroyUpgrade = settings.destroyUpgrade;
    if (settings.destroyUpgradeTimeout !== undefined) {
      this.upgradeOptions.destroyUpgradeTimeout = settings.destroyUpgradeTimeout;
    }
  }

  /**
   * An http server of the server's own, to listen on a port: it faces the public, so tight header and
   * request timeouts and a connection cap (`httpLimits`), and a 404 for every path it does not serve
   * (socket.io's answer; without it such requests hang).
   */
  ownServer(): HttpServer {
    return hardenHttpServer(
      createServer((_req, res) => res.writeHead(404).end()),
      this.httpLimits,
    );
  }

  /**
   * Holds `srv` (the application's unless made by {@link ownServer} just before): `engine` attaches to
   * it, behind the served client and metrics page.
   */
  hold(srv: AttachTarget, engine: EngineServer, metrics: () => MetricsSnapshot, own: boolean): void {
    this.ownHttpServer = own;
    const metricsPath = this.metricsPath;
    this.attachment = new HttpAttachment(srv as HttpServer, engine, this.upgradeOptions, (req, res) => {
      if (metricsPath !== undefined && serveMetrics(metricsPath, metrics, req, res)) return true;
      const bundle = this.bundle;
      return bundle?.handle(req, res, engine.options.cors) === true;
    });
  }

  /** Lets go of the http server held, if any (closing it when it is the server's own). */
  async release(): Promise<void> {
    const attachment = this.attachment;
    this.attachment = undefined;
    await attachment?.close(this.ownHttpServer);
  }
}
