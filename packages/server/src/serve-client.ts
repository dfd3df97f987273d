// Serves the browser client at <path>/socket.io.js, socket.io.min.js and socket.io.esm.min.js, so
// pages written for Socket.IO work unchanged. Each file is read and hashed once (ETag), and gzipped
// once when a client accepts it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Served name → file in `@volley/client`'s dist folder. */
const FILES: Record<string, string> = {
  "socket.io.js": "volley.js",
  "socket.io.min.js": "volley.min.js",
  "socket.io.esm.min.js": "volley.esm.min.js",
  "socket.io.js.map": "volley.js.map",
  "socket.io.min.js.map": "volley.min.js.map",
  "socket.io.esm.min.js.map": "volley.esm.min.js.map",
};

interface Loaded {
  body: Buffer;
  gzipped: Buffer | undefined;
  etag: string;
}

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

  /** @param dir `@volley/client`'s folder; found through module resolution when omitted. */
  constructor(path: string, dir?: string) {
    this.prefix = path === "/" ? "/" : `${path}/`;
    if (dir !== undefined) this.dir = dir;
  }

  /** Answers a request for one of the bundle files; false when the request is for something else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "";
    if (!url.startsWith(this.prefix)) return false;
    const q = url.indexOf("?");
    const name = url.slice(this.prefix.length, q < 0 ? undefined : q);
    const file = FILES[name];
    if (!file) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed");
      return true;
    }
    const loaded = this.load(file);
    if (!loaded) {
      res
        .writeHead(404, { "Content-Type": "text/plain; charset=utf-8" })
        .end(`client bundle ${file} not found: run \`npm run build -w @volley/client\``);
      return true;
    }
    const headers: Record<string, string> = {
      "Content-Type": file.endsWith(".map")
        ? "application/json; charset=utf-8"
        : "application/javascript; charset=utf-8",
      ETag: loaded.etag,
      "Cache-Control": "public, max-age=0",
      Vary: "Accept-Encoding",
    };
    if (req.headers["if-none-match"] === loaded.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    let body = loaded.body;
    if (acceptsGzip(req.headers["accept-encoding"])) {
      if (!loaded.gzipped) loaded.gzipped = gzipSync(loaded.body);
      body = loaded.gzipped;
      headers["Content-Encoding"] = "gzip";
    }
    headers["Content-Length"] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
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
    const etag = `"${createHash("sha1").update(body).digest("base64url")}"`;
    const loaded: Loaded = { body, gzipped: undefined, etag };
    this.cache.set(file, loaded);
    return loaded;
  }
}

/** Accept-Encoding lists gzip (or "*") with a non-zero quality. */
function acceptsGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  const value = Array.isArray(header) ? header.join(",") : header;
  for (const part of value.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
