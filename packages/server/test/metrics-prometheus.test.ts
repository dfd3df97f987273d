// The real Prometheus server (Debian package `prometheus`) scrapes the `metrics` endpoint of a live
// server and answers a query for one of its values through its HTTP API. Prometheus runs with its
// own config and data directory on a loopback port, and is stopped by the test. Every wait is on an
// event (its "ready" log line, its scrape requests reaching our server) under one hang guard.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { io as ioc } from "socket.io-client";
import { Server, type Socket } from "volley";
import { next } from "./helpers.js";

const PROMETHEUS = "/usr/bin/prometheus";
/** Hang guard for the whole exchange (start-up, two scrapes, a query). */
const DEADLINE_MS = 60_000;

/** A loopback port free right now (Prometheus needs a number; it cannot be given port 0). */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves when `child` writes a line containing `text` to stderr (where Prometheus logs). */
function logLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        child.stderr!.off("data", onData);
        child.stderr!.resume();
        resolve();
      }
    };
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`prometheus exited (${code}) before "${text}":\n${seen}`)));
  });
}

test("Prometheus scrapes the endpoint and answers a query with our value", async (t) => {
  const http = createServer();
  const io = new Server(http, { metrics: { path: "/metrics" } });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const client = ioc(`http://127.0.0.1:${port}`, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
  });
  const joined = next<[Socket]>(io, "connection");
  await next(client, "connect");
  await joined;

  const dir = await mkdtemp(join(tmpdir(), "volley-prometheus-"));
  const webPort = await freePort();
  await writeFile(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: volley",
      "    metrics_path: /metrics",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${port}"]`,
      "",
    ].join("\n"),
  );
  const prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${webPort}`,
      "--log.level=info",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const guard = setTimeout(() => prometheus.kill("SIGKILL"), DEADLINE_MS);
  t.after(async () => {
    clearTimeout(guard);
    if (prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = once(prometheus, "exit");
      prometheus.kill("SIGTERM");
      await exited;
    }
    client.disconnect();
    await io.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Scrapes reaching our server: the second one starts after the first was stored.
  let scrapes = 0;
  let secondScrape!: () => void;
  const scrapedTwice = new Promise<void>((resolve) => (secondScrape = resolve));
  http.prependListener("request", (req: IncomingMessage) => {
    if (req.url === "/metrics" && ++scrapes === 2) secondScrape();
  });
  await logLine(prometheus, "Server is ready to receive web requests.");
  const exited = once(prometheus, "exit").then(([code]) => {
    throw new Error(`prometheus exited (${code}) before scraping twice`);
  });
  await Promise.race([scrapedTwice, exited]);
  exited.catch(() => {});

  const query = async (
    promql: string,
  ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: [] } };
    assert.equal(body.status, "success", JSON.stringify(body));
    return body.data.result;
  };
  const up = await query('up{job="volley"}');
  assert.equal(up.length, 1);
  assert.equal(up[0]!.value[1], "1", "the target is up: the exposition parsed");
  const connections = await query('volley_connections{namespace="/",transport="websocket"}');
  assert.equal(connections.length, 1);
  assert.equal(connections[0]!.value[1], "1");
  assert.equal(connections[0]!.metric.job, "volley");
  const handshakes = await query("sum(volley_engine_handshakes_total)");
  assert.equal(handshakes[0]!.value[1], "1");
});
