// Shared by commonjs.test.ts and packaging.test.ts: brings the builds up to date, runs a consumer script
// (fixtures/consumer) with plain `node` (no "volley-source" condition, no tsx: what users run) and checks
// what it saw. A throwaway Redis on a unix socket serves the adapter part.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const consumerFixtures = fileURLToPath(new URL("./fixtures/consumer/", import.meta.url));

/** Every package name and export subpath users load. */
export const ENTRY_POINTS = [
  "volley",
  "@volley/client",
  "@volley/websocket",
  "@volley/engine",
  "@volley/engine/client",
  "@volley/engine/parser",
  "@volley/protocol",
  "@volley/redis-adapter",
  "@volley/admin",
  "@volley/cluster-adapter",
] as const;

/** tsc, the client bundles and the CommonJS build, each only when stale (scripts/build-packages.mjs). */
export function buildPackages(): void {
  execFileSync(process.execPath, [join(repoRoot, "scripts", "build-packages.mjs")], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
}

export interface Redis {
  /** The unix socket to connect to. */
  path: string;
  stop(): Promise<void>;
}

/** A Redis listening on `<dir>/redis.sock` only (no TCP port), or undefined without redis-server. */
export async function startRedis(dir: string): Promise<Redis | undefined> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return undefined;
  const path = join(dir, "redis.sock");
  const child = spawn(
    "redis-server",
    ["--port", "0", "--unixsocket", path, "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  // Ready once it says so (bounded by the test timeout); an early exit fails at once.
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      if (/ready to accept connections/i.test(output)) resolve();
    });
  });
  child.removeAllListeners("exit");
  child.stdout.resume();
  return {
    path,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** What a consumer script prints (see fixtures/consumer/scenario.cjs). */
export interface ConsumerResult {
  format: "commonjs" | "module";
  exports: Record<string, { file: string; type: string; names: string[] }>;
  callable?: { server: boolean; client: boolean };
  bundle: { status: number; type: string; bytes: number; defines: string };
  clients: Record<string, { welcomed: boolean; ack: string }>;
  websocket: string;
  engineParser: unknown;
  protocol: unknown;
  adapter?: string;
  admin?: { status: number; html: boolean; refusedWithoutCredentials: boolean };
}

/** Runs `node <script>` in `cwd` (at most 30 s) and parses the JSON line it prints. */
export function runConsumer(script: string, cwd: string, redis: Redis | undefined): ConsumerResult {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_PATH: redis?.path };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, [script], { cwd, env, encoding: "utf8", timeout: 30_000 });
  assert.equal(run.status, 0, `node ${script} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ConsumerResult;
}

/** The scenario worked end to end: bundle served, both clients acked, every package did its part. */
export function assertScenario(result: ConsumerResult, redis: Redis | undefined): void {
  assert.deepEqual(Object.keys(result.exports).sort(), [...ENTRY_POINTS].sort());
  for (const [name, entry] of Object.entries(result.exports)) {
    assert.ok(entry.names.length > 0, `${name} exports something`);
  }
  assert.ok(result.exports.volley!.names.includes("Server"));
  assert.ok(result.exports["@volley/client"]!.names.includes("io"));
  for (const name of ["createAdapter", "setupPrimary", "runClustered"]) {
    assert.ok(
      result.exports["@volley/cluster-adapter"]!.names.includes(name),
      `cluster-adapter exports ${name}`,
    );
  }
  assert.equal(result.bundle.status, 200);
  assert.match(result.bundle.type, /^application\/javascript/);
  assert.ok(result.bundle.bytes > 10_000, `bundle of ${result.bundle.bytes} bytes`);
  assert.equal(result.bundle.defines, "function", "the served bundle defines the global io()");
  assert.deepEqual(result.clients, {
    volley: { welcomed: true, ack: "hello volley" },
    "socket.io-client": { welcomed: true, ack: "hello socket.io-client" },
  });
  assert.equal(result.websocket, "echo ping");
  assert.deepEqual(result.engineParser, { type: "message", data: "hi" });
  assert.deepEqual(result.protocol, ['2["a"]']);
  if (redis) assert.equal(result.adapter, "from server A");
  assert.deepEqual(result.admin, { status: 200, html: true, refusedWithoutCredentials: true });
}
