// Serves the page (static HTML, script and style read once from the package's page/ folder) under
// the admin path, ahead of the application's own request listeners. The page holds no secret:
// everything it shows comes through the authenticated admin namespace.
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

interface Asset {
  type: string;
  body: Buffer;
}

/** What the page needs to know about the server, written into its HTML. */
export interface PageSettings {
  /** The admin path ("/admin"). */
  path: string;
  /** The Volley server's path ("/socket.io"): the client bundle and the connection live under it. */
  ioPath: string;
  /** The admin namespace. */
  namespace: string;
}

const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The page/ folder: beside src/ and dist/, two levels up from dist/cjs/. */
function pageDirectory(): string {
  for (const relative of ["../page/", "../../page/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error("@volley/admin: the page/ folder of the package is missing");
}

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class PageServer {
  private readonly assets = new Map<string, Asset>();
  private readonly path: string;
  private server: HttpServer | undefined;
  private readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  private listeners: Array<(req: IncomingMessage, res: ServerResponse) => void> = [];

  constructor(settings: PageSettings) {
    this.path = settings.path === "/" ? "" : settings.path;
    const dir = pageDirectory();
    const html = readFileSync(`${dir}index.html`, "utf8")
      // With the server at "/", a plain join would give "//socket.io.js": another host.
      .replaceAll("{{clientScript}}", escapeAttribute(`${settings.ioPath.replace(/\/$/, "")}/socket.io.js`))
      .replaceAll("{{ioPath}}", escapeAttribute(settings.ioPath))
      .replaceAll("{{namespace}}", escapeAttribute(settings.namespace));
    this.assets.set("/", { type: "text/html; charset=utf-8", body: Buffer.from(html) });
    this.assets.set("/admin.js", {
      type: "text/javascript; charset=utf-8",
      body: readFileSync(`${dir}admin.js`),
    });
    this.assets.set("/admin.css", { type: "text/css; charset=utf-8", body: readFileSync(`${dir}admin.css`) });
    this.handler = (req, res) => {
      if (this.handle(req, res)) return;
      if (!this.inFront()) return;
      for (const listener of this.listeners) listener.call(this.server, req, res);
    };
  }

  /**
   * Puts the page ahead of the server's request listeners (as Volley does for its client bundle): they
   * are taken off the server and called by this handler for every other request.
   */
  attach(server: HttpServer): void {
    this.server = server;
    this.listeners = server.listeners("request") as typeof this.listeners;
    server.removeAllListeners("request");
    server.on("request", this.handler);
  }

  /**
   * Whether this handler is still first on the server. When Volley detaches first (`io.close()`), it
   * puts back the listeners it had found and adds this handler after them: the listeners this handler
   * took (Volley's own among them) are no longer to be called, the server calls the application's.
   */
  private inFront(): boolean {
    return this.server?.listeners("request")[0] === this.handler;
  }

  /** Gives the request listeners back where this handler stood (or just leaves, if Volley detached first). */
  detach(): void {
    const server = this.server;
    if (!server) return;
    const current = server.listeners("request") as typeof this.listeners;
    const restore = this.inFront() ? this.listeners.filter((l) => !current.includes(l)) : [];
    server.removeAllListeners("request");
    for (const listener of current) {
      if (listener === this.handler) for (const taken of restore) server.on("request", taken);
      else server.on("request", listener);
    }
    this.server = undefined;
  }

  /** Answers a request for the page; false when it is not one. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== this.path && !pathname.startsWith(`${this.path}/`)) return false;
    const rest = pathname.slice(this.path.length);
    if (rest === "") {
      // Relative asset URLs need the trailing slash.
      res.writeHead(308, { Location: `${this.path}/${q < 0 ? "" : url.slice(q)}` }).end();
      return true;
    }
    const asset = this.assets.get(rest);
    if (!asset) {
      res.writeHead(404, { "Content-Type": "text/plain", ...HEADERS }).end("not found");
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", ...HEADERS }).end();
      return true;
    }
    res.writeHead(200, { "Content-Type": asset.type, "Content-Length": asset.body.length, ...HEADERS });
    res.end(req.method === "HEAD" ? undefined : asset.body);
    return true;
  }
}
