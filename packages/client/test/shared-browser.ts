// Plumbing of the shared-connection tests in Chromium: a Volley server that serves the bundles
// (`/socket.io/socket.io.shared.min.js` and the worker beside it) and a page per tab, all in one browser
// context (one "browser": tabs of one origin share its SharedWorker and Web Locks).
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Server, type ServerOptions } from "volley";
import { buildBundles, launchChromium } from "./browser.js";

export { buildBundles, CHROMIUM } from "./browser.js";

export interface SharedHarness {
  io: Server;
  http: HttpServer;
  url: string;
  /** WebSocket connections the server accepted (HTTP upgrades). */
  upgrades(): number;
  context: BrowserContext;
  /** Opens a tab named `name` that connects with `sharedIo` (its `auth.tab` is the name). */
  openTab(name: string): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

/**
 * The script each tab runs: `sharedIo()` with the tab's name as auth, a log of what it receives, and
 * answers to the server's questions. A string: the test runner's transpiler would add helpers the page lacks.
 */
const TAB_SCRIPT = `
  const params = new URLSearchParams(location.search);
  const name = params.get("tab");
  window.log = [];
  window.states = [];
  window.socket = sharedIo({ auth: { tab: name }, workerUrl: params.get("worker") ?? undefined });
  socket.on("connect", () => states.push(["connect", socket.id, socket.recovered]));
  socket.on("disconnect", (reason) => states.push(["disconnect", reason]));
  socket.on("news", (n) => log.push(n));
  socket.on("question", (ack) => ack(name));
`;

export async function startShared(
  serverOptions: Partial<ServerOptions> = {},
  contextInit?: string,
): Promise<SharedHarness> {
  const http = createServer((req, res) => {
    if (req.url?.startsWith("/socket.io/")) return; // the Volley server's
    if (req.url?.startsWith("/?")) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<!doctype html><script src="/socket.io/socket.io.shared.min.js"></script><script>${TAB_SCRIPT}</script>`,
      );
    } else res.writeHead(404).end();
  });
  let upgrades = 0;
  http.on("upgrade", () => upgrades++);
  const io = new Server(http, serverOptions);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const browser: Browser = await launchChromium();
  const context = await browser.newContext();
  if (contextInit) await context.addInitScript(contextInit);
  const errors: string[] = [];
  return {
    io,
    http,
    url,
    upgrades: () => upgrades,
    context,
    errors,
    async openTab(name) {
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
      await page.goto(`${url}/?tab=${name}`);
      await page.waitForFunction("socket.connected");
      return page;
    },
    async close() {
      await browser.close();
      http.closeAllConnections();
      await new Promise((resolve) => io.close(() => resolve(undefined)));
    },
  };
}

/**
 * Holds new Engine.IO handshakes (requests without a `sid`) while `hold()`-ing, until `release()`. A hub
 * that replaces a dead one recovers the session only if the server noticed the old connection's end
 * before the new CONNECT (client README: a fresh session otherwise); on a loaded machine the new hub can win
 * that race. The tests hold the new hub's handshake until the server saw the end, so that they check
 * recovery itself, deterministically.
 */
export function handshakeGate() {
  let holding = false;
  const held: Array<() => void> = [];
  return {
    allowRequest(req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) {
      if (holding && !new URL(req.url ?? "/", "http://x").searchParams.has("sid"))
        held.push(() => cb(null, true));
      else cb(null, true);
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const pass of held.splice(0)) pass();
    },
  };
}

/** Waits until the tab's log holds `count` entries and returns it. */
export async function logOf(page: Page, count: number): Promise<unknown[]> {
  await page.waitForFunction(`log.length >= ${count}`);
  return (await page.evaluate("log")) as unknown[];
}

export type HandshakeGate = ReturnType<typeof handshakeGate>;

/**
 * Builds the bundles and starts the harness of the recovery tests: connection-state recovery on, new
 * handshakes passing through `gate`, and an `echo` event the server acknowledges with its argument.
 */
export async function startRecovering(gate: HandshakeGate, contextInit?: string): Promise<SharedHarness> {
  buildBundles();
  const h = await startShared(
    { connectionStateRecovery: { maxDisconnectionDuration: 60_000 }, allowRequest: gate.allowRequest },
    contextInit,
  );
  h.io.on("connection", (socket) => {
    socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  return h;
}
