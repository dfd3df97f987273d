// A page reload in the middle of two streams (Chromium through playwright-core, the bundles as a `volley`
// server serves them: socket.io.min.js then socket.io.exactly-once.js). The page sends 1,000 acknowledged
// emits; the server sends 1,000 acknowledged emits and 1,000 plain ones. The page reloads halfway; the new
// page takes the session from sessionStorage. Nothing is lost and nothing is processed twice.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { before, test } from "node:test";
import { Server, type Socket } from "volley";
import { buildBundles, CHROMIUM, openPage } from "./browser.js";

const COUNT = 1000;
/**
 * Where both streams wait for the reload, so it always falls mid-stream however fast the machine is: the
 * first page sends HOLD emits and then waits to be reloaded; the server's streams wait for the recovered
 * socket after HOLD emits; and the server leaves the last IN_FLIGHT of the page's emits unanswered until
 * the reload has happened (their answers are lost with the old page: the new one must get them once).
 */
const HOLD = 600;
const IN_FLIGHT = 5;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

before(buildBundles);

// The application's own log is kept over the reload the same way (sessionStorage on pagehide), so the test
// can read everything both pages saw.
const PAGE = (transports: string[]) => `<!doctype html><html><body>
<script src="/socket.io/socket.io.min.js"></script>
<script src="/socket.io/socket.io.exactly-once.js"></script>
<script>
  const log = JSON.parse(sessionStorage.getItem("log") || '{"loads":0,"next":0,"received":[],"news":[],"acks":[],"restored":[]}');
  log.loads++;
  window.log = log;
  const socket = io({ transports: ${JSON.stringify(transports)}, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  window.state = io.exactlyOnce(socket, {
    onRestoredAck: (r) => { log.restored.push(r.args[0]); log.acks.push([r.args[0], r.answer && r.answer[0]]); },
  });
  addEventListener("pagehide", () => sessionStorage.setItem("log", JSON.stringify(log)));
  socket.on("s2c", (n, ack) => { log.received.push(n); ack(n + 1); });
  socket.on("news", (n) => log.news.push(n));
  (async () => {
    while (log.next < ${COUNT}) {
      if (log.loads === 1 && log.next === ${HOLD}) return; // the test reloads this page now
      const n = log.next++;
      socket.emit("c2s", n, (answer) => log.acks.push([n, answer]));
      if (n % 10 === 9) await new Promise((r) => setTimeout(r, 8));
    }
  })();
</script></body></html>`;

for (const transports of [["websocket"], ["polling"]]) {
  test(`a page reload mid-stream loses nothing (${transports[0]})`, {
    skip: CHROMIUM ? false : "no Chromium",
    timeout: 60_000,
  }, async () => {
    const http = createServer((req, res) => {
      if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(PAGE(transports));
      else if (!req.url?.startsWith("/socket.io/")) res.writeHead(404).end();
    });
    const io = new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
      eventRateLimit: false,
    });
    const processed: number[] = [];
    const serverAcks = new Map<number, unknown[]>();
    let halfway!: () => void;
    const atHalfway = new Promise<void>((resolve) => {
      halfway = resolve;
    });
    let resumeStreams!: () => void;
    const recoveredSocket = new Promise<void>((resolve) => {
      resumeStreams = resolve;
    });
    const heldAnswers: Array<() => void> = [];
    let connections = 0;
    let recovered = 0;
    io.on("connection", (socket: Socket) => {
      connections++;
      socket.on("c2s", (n: number, ack: (v: number) => void) => {
        processed.push(n);
        if (n >= HOLD - IN_FLIGHT && n < HOLD) heldAnswers.push(() => ack(n * 2));
        else ack(n * 2);
        if (processed.length === HOLD) halfway();
      });
      if (socket.recovered) {
        recovered++;
        resumeStreams();
        return;
      }
      // Both streams from the first socket object, paced like the page's.
      void (async () => {
        for (const i of range(COUNT)) {
          if (i === HOLD) await recoveredSocket;
          socket.emit("s2c", i, (answer: number) => {
            serverAcks.set(i, [...(serverAcks.get(i) ?? []), answer]);
          });
          socket.emit("news", i);
          if (i % 10 === 9) await new Promise((r) => setTimeout(r, 8));
        }
      })();
    });
    http.listen(0, "127.0.0.1");
    await new Promise((resolve) => http.once("listening", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    const { browser, page, errors } = await openPage(url);
    try {
      await atHalfway;
      const before = { processed: processed.length, answered: serverAcks.size };
      await page.reload();
      // The handlers of the last emits answer only now, after their page is gone.
      for (const answer of heldAnswers.splice(0)) answer();
      await page.waitForFunction(
        (count) => {
          const log = (window as unknown as { log: { received: number[]; news: number[]; acks: unknown[] } })
            .log;
          return log.received.length >= count && log.news.length >= count && log.acks.length >= count;
        },
        COUNT,
        { timeout: 30_000 },
      );
      // Let late repeats (if any) arrive before counting.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
      const log = (await page.evaluate(() => (window as unknown as { log: unknown }).log)) as {
        loads: number;
        received: number[];
        news: number[];
        acks: Array<[number, number]>;
        restored: number[];
      };
      assert.equal(log.loads, 2, "the page was reloaded once");
      assert.ok(
        before.processed === HOLD && before.answered <= HOLD,
        `reloaded mid-stream: ${JSON.stringify(before)}`,
      );
      assert.equal(connections, 2);
      assert.equal(recovered, 1, "the reloaded page recovered the session");
      assert.deepEqual(processed, range(COUNT), "the page's emits: each processed once, in order");
      assert.deepEqual(log.received, range(COUNT), "the server's acknowledged emits: each processed once");
      assert.deepEqual(log.news, range(COUNT), "the server's plain emits: none missed over the reload");
      assert.deepEqual(
        log.acks.toSorted((a, b) => a[0] - b[0]),
        range(COUNT).map((n) => [n, n * 2]),
        "one acknowledgement for each emit of the page, across both pages",
      );
      for (const i of range(COUNT)) assert.deepEqual(serverAcks.get(i), [i + 1], `server emit ${i}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      http.closeAllConnections();
      await io.close();
    }
  });
}
