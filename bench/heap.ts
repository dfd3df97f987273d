// Where a server's memory per idle connection goes: V8 heap snapshots of the server child before and
// after N connections, diffed by object type and constructor, divided by N.
// node --conditions=volley-source --import tsx bench/heap.ts <volley|socket.io|volley-ws|ws> [connections=2000] [--top 25] [--owners]
// --owners: charged to the nearest dominating class instance instead (see heap-owners.ts).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ownersOf } from "./heap-owners.js";
import { Child } from "./lib/ipc.js";
import { IMPLS, type Impl } from "./server/types.js";

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per "type:name" (name is the constructor for objects, the kind for the rest). */
function aggregate(path: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(path, "utf8")) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + typeAt]!]!;
    // Strings and code are grouped by kind; their text would scatter them.
    const name = type === "object" || type === "closure" ? snap.strings[snap.nodes[i + nameAt]!]! : "";
    const key = `${type}:${name}`;
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += snap.nodes[i + sizeAt]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const impl = argv[0] as Impl;
  const n = Number(argv[1] ?? 2000);
  const topAt = argv.indexOf("--top");
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 25;
  const owners = argv.includes("--owners");
  if (!(IMPLS as readonly string[]).includes(impl) || !Number.isInteger(n) || n <= 0) {
    console.error(`usage: bench/heap.ts <${IMPLS.join("|")}> [connections=2000] [--top 25] [--owners]`);
    return 2;
  }
  const protocol = impl === "ws" || impl === "volley-ws" ? "websocket" : "socketio";
  const dir = mkdtempSync(join(tmpdir(), "volley-heap-"));
  const server = Child.fork("server/main.ts", [impl, "idle"], {
    label: `server ${impl}`,
    nodeFlags: ["--expose-gc"],
  });
  const load = Child.fork("load/main.ts", [], { label: "load" });
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    await server.request("heapSnapshot", { path: join(dir, "before.heapsnapshot") }, 120_000);
    await load.request("connect", { protocol, port, clients: n, size: 1 }, 30_000 + n * 10);
    await server.request("waitConnections", { n, timeoutMs: 20_000 }, 25_000);
    await server.request("heapSnapshot", { path: join(dir, "after.heapsnapshot") }, 120_000);
    if (owners) {
      printOwners(impl, n, top, join(dir, "before.heapsnapshot"), join(dir, "after.heapsnapshot"));
      return 0;
    }
    const before = aggregate(join(dir, "before.heapsnapshot"));
    const after = aggregate(join(dir, "after.heapsnapshot"));
    const rows = [...after]
      .map(([key, a]) => {
        const b = before.get(key) ?? { size: 0, count: 0 };
        return { key, bytes: (a.size - b.size) / n, count: (a.count - b.count) / n };
      })
      .sort((x, y) => y.bytes - x.bytes);
    const total = rows.reduce((s, r) => s + r.bytes, 0);
    console.log(`${impl}: ${n} idle connections, V8 heap self size per connection ${total.toFixed(0)} B\n`);
    console.log("bytes/conn  objects/conn  type:constructor");
    for (const r of rows.slice(0, top)) {
      console.log(`${r.bytes.toFixed(0).padStart(10)}  ${r.count.toFixed(2).padStart(12)}  ${r.key}`);
    }
    return 0;
  } finally {
    await Promise.all([load.stop(), server.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Growth per connection by owning class, each with its biggest kinds of objects. */
function printOwners(impl: string, n: number, top: number, beforePath: string, afterPath: string): void {
  const before = ownersOf(beforePath);
  const after = ownersOf(afterPath);
  const rows = [...after]
    .map(([name, a]) => {
      const b = before.get(name);
      const kinds = [...a.byKind]
        .map(([kind, bytes]) => ({ kind, bytes: (bytes - (b?.byKind.get(kind) ?? 0)) / n }))
        .filter((k) => Math.abs(k.bytes) >= 1)
        .sort((x, y) => y.bytes - x.bytes);
      return {
        name,
        bytes: (a.bytes - (b?.bytes ?? 0)) / n,
        instances: (a.instances - (b?.instances ?? 0)) / n,
        kinds,
      };
    })
    .sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(
    `${impl}: ${n} idle connections, V8 heap per connection ${total.toFixed(0)} B, by owning class\n`,
  );
  console.log("bytes/conn  instances/conn  owner: what it holds (bytes/conn)");
  for (const r of rows.slice(0, top)) {
    const kinds = r.kinds
      .slice(0, 8)
      .map((k) => `${k.kind} ${k.bytes.toFixed(0)}`)
      .join(", ");
    console.log(
      `${r.bytes.toFixed(0).padStart(10)}  ${r.instances.toFixed(2).padStart(14)}  ${r.name}: ${kinds}`,
    );
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
