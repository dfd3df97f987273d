import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface StaticFile {
  /** Absolute path on disk. */
  path: string;
  contentType: string;
  /** Shown in the 500 page when the file is missing (e.g. "run `npm run build`"). */
  missingHint?: string;
}

/**
 * Serves a fixed table of URL paths → files. An allowlist rather than a directory walk: no path from
 * the request ever reaches the file system, so there is nothing to traverse.
 */
export function staticFiles(
  files: Record<string, StaticFile>,
  /** Paths left alone for another handler on the same server (the realtime endpoint). */
  skipPrefix: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith(skipPrefix)) return;
    const pathname = url.split("?", 1)[0]!;
    const file = Object.hasOwn(files, pathname) ? files[pathname] : undefined;
    if (!file) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    }
    readFile(file.path).then(
      (body) => send(res, 200, file.contentType, req.method === "HEAD" ? "" : body),
      () => send(res, 500, "text/plain; charset=utf-8", `missing ${pathname}: ${file.missingHint ?? ""}\n`),
    );
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": contentType,
    // The demo is rebuilt often while people play with it; never serve a stale bundle.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}
