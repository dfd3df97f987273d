// Serves the browser client at <path>/socket.io.js, socket.io.min.js, socket.io.esm.min.js and their
// source maps, so pages written for Socket.IO work unchanged. As socket.io does: the ETag is the
// client's version (304 for If-None-Match, weak or strong), maps are application/json, the body is
// brotli, gzip or deflate by Accept-Encoding, and the `cors` option applies (preflight: 204).
// Unlike socket.io, each file is read once and compressed once per coding (off the event loop), then
// served from memory.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, deflate, gzip } from "node:zlib";
import { applyCors, type CorsOptions, type CorsOptionsDelegate } from "@volley/engine";
import { type Coding, etagMatches, negotiateCoding } from "./content-coding.js";

/** Served name → file in `@volley/client`'s dist folder. */
const FILES: Record<string, string> = {
  "socket.io.js": "volley.js",
  "socket.io.min.js": "volley.min.js",
  "socket.io.esm.min.js": "volley.esm.min.js",
  "socket.io.js.map": "volley.js.map",
  "socket.io.min.js.map": "volley.min.js.map",
  "socket.io.esm.min.js.map": "volley.esm.min.js.map",
  // The exactly-once add-on (`io.exactlyOnce`), loaded after one of the global builds.
  "socket.io.exactly-once.js": "volley.exactly-once.min.js",
};
// Shared connection (`@volley/client/shared`): the tab bundle and the SharedWorker script beside it.
FILES["socket.io.shared.min.js"] = "volley.shared.min.js";
FILES["socket.io.shared-worker.js"] = "volley.shared-worker.min.js";

const COMPRESS: Record<Coding, (body: Buffer) => Promise<Buffer>> = {
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  gzip: (body) => promisify(gzip)(body, { level: 9 }),
  deflate: (body) => promisify(deflate)(body, { level: 9 }),
};

interface Loaded {
  body: Buffer;
  /** Compressed once per coding, on first demand; a failure is retried on the next request. */
  encoded: Map<Coding, Promise<Buffer>>;
}

/** The `cors` option as the engine resolved it (`false`: no CORS headers). */
export type ServedCors = CorsOptions | CorsOptionsDelegate | false;

/** Where `@volley/client` is installed, or undefined. */
function clientPackageDir(): string | undefined {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths("@volley/client") ?? []) {
    const candidate = join(dir, "@volley", "client");
    if (existsSync(join(candidate, "package.json"))) return candidate;
  }
  return undefined;
}

export class ClientBundle {
  private readonly prefix: string;
  private readonly cache = new Map<string, Loaded>();
  private dir: string | undefined | null = null;
  private etagValue: string | undefined;

  /** @param dir `@volley/client`'s folder; found through module resolution when omitted. */
  constructor(path: string, dir?: string) {
    this.prefix = path === "/" ? "/" : `${path}/`;
    if (dir !== undefined) this.dir = dir;
  }

  /** Whether `req` asks for one of the client files. */
  matches(req: IncomingMessage): boolean {
    return this.fileOf(req) !== undefined;
  }

  /**
   * Answers a request for one of the client files (CORS headers first, when `cors` is set); false when
   * the request is for something else.
   */
  handle(req: IncomingMessage, res: ServerResponse, cors: ServedCors = false): boolean {
    const file = this.fileOf(req);
    if (file === undefined) return false;
    if (cors) applyCors(cors, req, res, () => this.serve(file, req, res));
    else this.serve(file, req, res);
    return true;
  }

  private fileOf(req: IncomingMessage): string | undefined {
    const url = req.url ?? "";
    if (!url.startsWith(this.prefix)) return undefined;
    const q = url.indexOf("?");
    return FILES[url.slice(this.prefix.length, q < 0 ? undefined : q)];
  }

  private serve(file: string, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed");
      return;
    }
    const loaded = this.load(file);
    if (!loaded) {
      res
        .writeHead(404, { "Content-Type": "text/plain; charset=utf-8" })
        .end(`client bundle ${file} not found: run \`npm run build -w @volley/client\``);
      return;
    }
    const etag = this.etag(loaded.body);
    const headers: Record<string, string> = {
      "Cache-Control": "public, max-age=0",
      ETag: etag,
      Vary: appendVary(res.getHeader("Vary"), "Accept-Encoding"),
    };
    if (etagMatches(req.headers["if-none-match"], etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    headers["Content-Type"] = file.endsWith(".map")
      ? "application/json; charset=utf-8"
      : "application/javascript; charset=utf-8";
    const coding = negotiateCoding(req.headers["accept-encoding"]);
    if (coding === undefined) {
      send(req, res, headers, loaded.body);
      return;
    }
    let encoded = loaded.encoded.get(coding);
    if (!encoded) {
      encoded = COMPRESS[coding](loaded.body);
      loaded.encoded.set(coding, encoded);
    }
    encoded.then(
      (body) => send(req, res, { ...headers, "Content-Encoding": coding }, body),
      () => {
        loaded.encoded.delete(coding);
        send(req, res, headers, loaded.body);
      },
    );
  }

  /** socket.io's ETag: the client's version; the content's hash when the version is unknown. */
  private etag(body: Buffer): string {
    if (this.etagValue !== undefined) return this.etagValue;
    let version: unknown;
    try {
      version = JSON.parse(readFileSync(join(this.dir!, "package.json"), "utf8")).version;
    } catch {}
    this.etagValue =
      typeof version === "string" && /^[\x21\x23-\x7e]+$/.test(version)
        ? `"${version}"`
        : `"${createHash("sha1").update(body).digest("base64url")}"`;
    return this.etagValue;
  }

  private load(file: string): Loaded | undefined {
    const cached = this.cache.get(file);
    if (cached) return cached;
    if (this.dir === null) this.dir = clientPackageDir();
    if (!this.dir) return undefined;
    let body: Buffer;
    try {
      body = readFileSync(join(this.dir, "dist", file));
    } catch {
      return undefined; // not built (yet): 404, and looked up again next time
    }
    const loaded: Loaded = { body, encoded: new Map() };
    this.cache.set(file, loaded);
    return loaded;
  }
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
  body: Buffer,
): void {
  if (res.writableEnded || res.destroyed) return;
  headers["Content-Length"] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Adds `value` to a Vary header CORS may have set already ("Origin"). */
function appendVary(current: number | string | string[] | undefined, value: string): string {
  if (current === undefined) return value;
  const list = Array.isArray(current) ? current.join(", ") : String(current);
  return list.split(",").some((v) => v.trim().toLowerCase() === value.toLowerCase())
    ? list
    : `${list}, ${value}`;
}
