// Node only: the polling transport's HTTP requests and the WebSocket's connection options, on node:http(s),
// node:net and node:tls, so that `agent`, the TLS options and `autoUnref` apply (Node's `fetch` takes none
// of them). The modules load on first use through variable specifiers, so bundlers targeting browsers do
// not follow them, and the browser bundle swaps this whole module for a stub.
import type * as Http from "node:http";
import type * as Net from "node:net";
import type * as Tls from "node:tls";
import type { ResolvedOptions } from "./options.js";

/** The part of a `fetch` Response the polling transport reads. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

/** What a polling request needs, as `fetch` takes it. */
export interface RequestInitLike {
  method: string;
  body?: string;
  headers?: Record<string, string>;
  signal: AbortSignal;
}

const load = <T>(name: string): Promise<T> => import(/* webpackIgnore: true */ /* @vite-ignore */ name);
const NODE = "node:";

/** The TLS options as `https.request` / `tls.connect` take them; unset ones are left out. */
function tlsOptions(opts: ResolvedOptions): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized"] as const)
    if (opts[key] !== undefined) picked[key] = opts[key];
  return picked;
}

/** The `Cookie` header for the jar's cookies (withCredentials), or nothing. */
function cookieHeader(opts: ResolvedOptions): Record<string, string> {
  const jar = opts.cookies;
  return jar?.size ? { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") } : {};
}

/** Keeps the cookies of a `Set-Cookie` answer in the jar (withCredentials); an expired one leaves it. */
function storeCookies(opts: ResolvedOptions, setCookie: string[] | undefined): void {
  const jar = opts.cookies;
  if (!jar) return;
  for (const line of setCookie ?? []) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq < 1) continue;
    const name = pair.slice(0, eq).trim();
    const expired = attributes.some((attribute) => {
      const [key = "", value = ""] = attribute.split("=").map((part) => part.trim());
      return (
        (/^max-age$/i.test(key) && Number(value) <= 0) ||
        (/^expires$/i.test(key) && Date.parse(value) <= Date.now())
      );
    });
    if (expired) jar.delete(name);
    else jar.set(name, pair.slice(eq + 1).trim());
  }
}

/**
 * One HTTP request of the polling transport, as `fetch(url, init)` would make it, with the Node options
 * (`agent`, TLS, `autoUnref`) applied. Rejects on a network error and on abort.
 */
export async function nodeRequest(
  url: string,
  init: RequestInitLike,
  opts: ResolvedOptions,
): Promise<ResponseLike> {
  const http = await load<typeof Http>(`${NODE}${opts.secure ? "https" : "http"}`);
  return new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal.aborted) return reject(signal.reason);
    const headers: Record<string, string> = { ...init.headers, ...cookieHeader(opts) };
    if (init.body !== undefined) {
      headers["content-type"] ??= "text/plain;charset=UTF-8";
      headers["content-length"] = String(Buffer.byteLength(init.body));
    }
    const req = http.request(url, {
      method: init.method,
      headers,
      ...(opts.agent !== undefined && { agent: opts.agent as Http.Agent }),
      ...tlsOptions(opts),
    });
    const abort = () => req.destroy(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    const fail = (error: unknown) => {
      signal.removeEventListener("abort", abort);
      reject(error);
    };
    if (opts.autoUnref) req.on("socket", (socket) => socket.unref());
    req.on("error", fail);
    req.on("response", (res) => {
      storeCookies(opts, res.headers["set-cookie"]);
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        signal.removeEventListener("abort", abort);
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ ok: status >= 200 && status < 300, status, text: async () => text });
      });
    });
    req.end(init.body);
  });
}

/**
 * The Node WebSocket's constructor options for this connection: handshake headers, deflate, `agent`, and
 * the TLS options and `autoUnref` applied through `createConnection` (which Node uses when no agent is given).
 */
export async function nodeWebSocketOptions(opts: ResolvedOptions): Promise<Record<string, unknown>> {
  const tls = tlsOptions(opts);
  const [net, tlsModule] = await Promise.all([
    load<typeof Net>(`${NODE}net`),
    load<typeof Tls>(`${NODE}tls`),
  ]);
  const createConnection = (options: Record<string, unknown>): Net.Socket => {
    const host = String(options.host ?? options.hostname ?? "");
    const socket = opts.secure
      ? tlsModule.connect({
          ...(options as Tls.ConnectionOptions),
          // SNI names a host, never an address (RFC 6066).
          servername: net.isIP(host) ? undefined : host,
          ...tls,
        })
      : net.connect(options as unknown as Net.NetConnectOpts);
    if (opts.autoUnref) socket.unref();
    return socket;
  };
  return {
    headers: { ...opts.extraHeaders, ...cookieHeader(opts) },
    ...(opts.perMessageDeflate !== undefined && { perMessageDeflate: opts.perMessageDeflate }),
    ...tls,
    ...(opts.agent !== undefined ? { agent: opts.agent } : { createConnection }),
  };
}
