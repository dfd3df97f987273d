// What a user outside this repository gets: every package is packed with `npm pack`, the tarballs are
// installed into a fresh project in a temporary folder (peers such as ioredis come from the registry), and
// there an ES module and a CommonJS program each run a server serving the browser bundle, with our Node
// client and the official socket.io-client exchanging acks, and TypeScript (module: nodenext) resolves
// every package's types from a .ts and a .cts file. One project serves every check.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  assertScenario,
  buildPackages,
  type ConsumerResult,
  consumerFixtures,
  ENTRY_POINTS,
  type Redis,
  repoRoot,
  runConsumer,
  startRedis,
} from "./consumer.js";

const WORKSPACES = [
  "websocket",
  "engine",
  "protocol",
  "server",
  "client",
  "redis-adapter",
  "admin",
  "cluster-adapter",
];
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const repoRequire = createRequire(join(repoRoot, "package.json"));

interface PackedFile {
  name: string;
  filename: string;
  files: { path: string }[];
}

let dir: string;
let project: string;
let packed: PackedFile[];
let redis: Redis | undefined;
const results: Partial<Record<"module" | "commonjs", ConsumerResult>> = {};

before(async () => {
  buildPackages();
  dir = mkdtempSync(join(tmpdir(), "volley-pack-"));
  assert.ok(relative(repoRoot, dir).startsWith(".."), "the project lives outside the repository");
  const tarballs = join(dir, "tarballs");
  project = join(dir, "project");
  mkdirSync(tarballs);
  mkdirSync(project);
  const workspaceArgs = WORKSPACES.flatMap((name) => ["-w", `packages/${name}`]);
  const packOutput = execFileSync(npm, ["pack", ...workspaceArgs, "--pack-destination", tarballs, "--json"], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  packed = JSON.parse(packOutput) as PackedFile[];

  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ name: "volley-consumer", private: true, type: "module" }, null, 2)}\n`,
  );
  const install = ["install", ...packed.map((p) => join(tarballs, p.filename))];
  execFileSync(npm, [...install, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: project,
    stdio: ["ignore", "ignore", "pipe"],
  });
  // The official client, as the repository has it (its own dependencies resolve from its real path).
  symlinkSync(
    dirname(repoRequire.resolve("socket.io-client/package.json")),
    join(project, "node_modules", "socket.io-client"),
  );
  for (const file of ["scenario.cjs", "consumer.cjs", "consumer.mjs", "types.ts", "types.cts"]) {
    copyFileSync(join(consumerFixtures, file), join(project, file));
  }
  redis = await startRedis(dir);
});

after(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm pack tarballs in a fresh project", () => {
  test("each tarball holds the ESM and CommonJS builds with their types, and no build leftovers", () => {
    assert.deepEqual(packed.map((p) => p.name).sort(), [
      "@volley/admin",
      "@volley/client",
      "@volley/cluster-adapter",
      "@volley/engine",
      "@volley/protocol",
      "@volley/redis-adapter",
      "@volley/websocket",
      "volley",
    ]);
    for (const pkg of packed) {
      const files = new Set(pkg.files.map((f) => f.path));
      for (const file of ["dist/index.js", "dist/index.d.ts", "dist/cjs/index.js", "dist/cjs/index.d.ts"]) {
        assert.ok(files.has(file), `${pkg.name} packs ${file}`);
      }
      assert.ok(files.has("dist/cjs/package.json"), `${pkg.name} marks dist/cjs as CommonJS`);
      assert.ok(files.has("README.md") && files.has("package.json"));
      assert.ok(![...files].some((f) => f.includes(".tsbuildinfo") || f.startsWith("test/")), pkg.name);
    }
    const client = new Set(packed.find((p) => p.name === "@volley/client")!.files.map((f) => f.path));
    for (const file of ["dist/volley.js", "dist/volley.min.js", "dist/volley.esm.min.js"])
      assert.ok(client.has(file));
    // The installed packages are the tarballs' copies, not links into the repository.
    const installed = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(installed.dependencies).sort(), packed.map((p) => p.name).sort());
    for (const spec of Object.values(installed.dependencies)) assert.match(spec, /^file:.*\.tgz$/);
  });

  for (const [format, script] of [
    ["module", "consumer.mjs"],
    ["commonjs", "consumer.cjs"],
  ] as const) {
    test(`${format}: a server serves the bundle, both clients ack, every package works`, (t) => {
      if (!redis) t.diagnostic("no redis-server: the adapter part is left out");
      const result = runConsumer(join(project, script), project, redis);
      assert.equal(result.format, format);
      const build = format === "module" ? "dist" : "dist/cjs";
      for (const name of ENTRY_POINTS) {
        const file = result.exports[name]!.file.replace(/^file:\/\//, "");
        const inProject = relative(project, file);
        assert.ok(inProject.startsWith("node_modules/"), `${name} loads from the project: ${file}`);
        assert.match(inProject, new RegExp(`/${build}/(\\w+/)?index\\.js$`), `${name} loads ${build}`);
      }
      assertScenario(result, redis);
      results[format] = result;
    });
  }

  test("require and import expose the same names", (t) => {
    if (!results.module || !results.commonjs) return t.skip("a format failed above");
    for (const name of ENTRY_POINTS) {
      assert.deepEqual(results.commonjs.exports[name]!.names, results.module.exports[name]!.names, name);
    }
  });

  test("TypeScript (module: nodenext) resolves every package's types from .ts and .cts", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(repoRoot, "node_modules", "@types")],
        },
        files: ["types.ts", "types.cts"],
      }),
    );
    const tsc = repoRequire.resolve("typescript/bin/tsc");
    let listed: string;
    try {
      listed = execFileSync(process.execPath, [tsc, "-p", project, "--listFiles"], {
        cwd: project,
        encoding: "utf8",
      });
    } catch (err) {
      assert.fail(`tsc found errors:\n${(err as { stdout?: string }).stdout}`);
    }
    // The .ts file took the "import" types, the .cts file the "require" ones (dist/cjs), for every entry.
    const files = listed.split("\n").map((f) => relative(project, f.trim()));
    for (const name of ENTRY_POINTS) {
      const [pkg, sub] = name.startsWith("@")
        ? [name.split("/").slice(0, 2).join("/"), name.split("/")[2]]
        : [name];
      const index = sub ? `${sub}/index.d.ts` : "index.d.ts";
      assert.ok(files.includes(`node_modules/${pkg}/dist/${index}`), `${name}: ESM types`);
      assert.ok(files.includes(`node_modules/${pkg}/dist/cjs/${index}`), `${name}: CommonJS types`);
    }
  });
});
