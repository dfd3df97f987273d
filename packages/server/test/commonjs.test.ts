// CommonJS users: `require()` of every package and export subpath loads the CommonJS build (dist/cjs,
// not the ES modules through require(esm)), and a CommonJS program runs a server that serves the browser
// bundle, with our client and the official one exchanging acks, plus @volley/websocket, the parsers and
// the Redis adapter. Runs fixtures/consumer/consumer.cjs from this repository with plain `node`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import {
  assertScenario,
  buildPackages,
  consumerFixtures,
  type Redis,
  repoRoot,
  runConsumer,
  startRedis,
} from "./consumer.js";

let dir: string;
let redis: Redis | undefined;

before(async () => {
  buildPackages();
  dir = mkdtempSync(join(tmpdir(), "volley-cjs-"));
  redis = await startRedis(dir);
});

after(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("require() of every package runs a server with both clients, from CommonJS", (t) => {
  if (!redis) t.diagnostic("no redis-server: the adapter part is left out");
  const result = runConsumer(join(consumerFixtures, "consumer.cjs"), consumerFixtures, redis);
  assert.equal(result.format, "commonjs");
  for (const [name, entry] of Object.entries(result.exports)) {
    const file = relative(repoRoot, entry.file);
    assert.match(
      file,
      /^packages\/[a-z-]+\/dist\/cjs\/(\w+\/)?index\.js$/,
      `${name} loads the CommonJS build`,
    );
  }
  assert.equal(result.exports.volley!.type, "function", 'require("volley")(server) as with socket.io');
  assert.equal(result.exports["@volley/client"]!.type, "function", 'require("@volley/client")(url)');
  assert.deepEqual(result.callable, { server: true, client: true });
  assertScenario(result, redis);
});
