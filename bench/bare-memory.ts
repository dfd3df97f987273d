// The floor under memory per idle connection: what each layer costs, measured side by side in one run.
// From the bottom: a node:net server that answers the WebSocket handshake by hand and holds the socket
// (`net`, server/net-floor.ts: the TCP socket as Node holds it), `ws` and `@volley/websocket` with no app
// (`ws`, `volley-ws`), the hand-written Engine.IO/Socket.IO minimum on ws (`ws-floor`), then `volley` and
// `socket.io`. Every run forks fresh children (the baseline is a process that never served), RSS and
// heap after 4 forced GCs before and after N idle connections, ÷ N; sides alternate, medians printed.
// node --conditions=volley-source --import tsx bench/bare-memory.ts [connections=10000] [--runs 3] [--only a,b]
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { Child } from "./lib/ipc.js";

interface Side {
  name: string;
  /** The child's entry and arguments. */
  entry: string;
  args: string[];
  protocol: "websocket" | "socketio";
}

const SIDES: Side[] = [
  { name: "net", entry: "server/net-floor.ts", args: [], protocol: "websocket" },
  { name: "ws", entry: "server/main.ts", args: ["ws", "idle"], protocol: "websocket" },
  { name: "volley-ws", entry: "server/main.ts", args: ["volley-ws", "idle"], protocol: "websocket" },
  { name: "ws-floor", entry: "server/main.ts", args: ["ws-floor", "idle"], protocol: "socketio" },
  { name: "volley", entry: "server/main.ts", args: ["volley", "idle"], protocol: "socketio" },
  { name: "socket.io", entry: "server/main.ts", args: ["socket.io", "idle"], protocol: "socketio" },
];

interface Memory {
  rss: number;
  heapUsed: number;
}

function softFdLimit(): number {
  try {
    return Number(execFileSync("bash", ["-c", "ulimit -n"], { encoding: "utf8" }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

const load = () => loadavg()[0]!.toFixed(1);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function measure(side: Side, n: number, fdLimit: number, currentFdLimit: number) {
  const server = Child.fork(side.entry, side.args, {
    label: `server ${side.name}`,
    nodeFlags: ["--expose-gc"],
    fdLimit,
    currentFdLimit,
  });
  const client = Child.fork("load/main.ts", [], { label: "load", fdLimit, currentFdLimit });
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    const before = await server.request<Memory>("memory", {}, 30_000);
    await client.request("connect", { protocol: side.protocol, port, clients: n, size: 1 }, 60_000 + n * 10);
    await server.request("waitConnections", { n, timeoutMs: 30_000 }, 35_000);
    const after = await server.request<Memory>("memory", {}, 30_000);
    return { rss: (after.rss - before.rss) / n / 1024, heap: (after.heapUsed - before.heapUsed) / n / 1024 };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

async function main(argv: string[]): Promise<number> {
  const n = Number(argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
  const runsAt = argv.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? argv[onlyAt + 1]!.split(",") : undefined;
  const sides = SIDES.filter((s) => !only || only.includes(s.name));
  if (
    !Number.isInteger(n) ||
    n <= 0 ||
    n > 19_000 ||
    !Number.isInteger(runs) ||
    runs <= 0 ||
    sides.length === 0
  ) {
    console.error(
      `usage: bench/bare-memory.ts [connections=10000, at most 19000] [--runs 3] [--only ${SIDES.map((s) => s.name).join(",")}]`,
    );
    return 2;
  }
  const fdLimit = Math.min(n + 1024, 20_000);
  const current = softFdLimit();
  const samples = new Map<string, Array<{ rss: number; heap: number }>>(sides.map((s) => [s.name, []]));
  const loadStart = load();
  console.log(`${n} idle connections, ${runs} runs per side, alternating; load average ${loadStart}`);
  for (let run = 0; run < runs; run++) {
    for (const side of sides) {
      const sample = await measure(side, n, fdLimit, current);
      samples.get(side.name)!.push(sample);
      console.log(
        `  run ${run + 1} ${side.name}: RSS ${sample.rss.toFixed(2)} KB/conn, heap ${sample.heap.toFixed(2)} KB/conn (load ${load()})`,
      );
    }
  }
  const reference = samples.get("socket.io");
  const refRss = reference ? median(reference.map((s) => s.rss)) : undefined;
  const refHeap = reference ? median(reference.map((s) => s.heap)) : undefined;
  console.log(`\nmedians, load average ${loadStart} → ${load()}\n`);
  console.log("| server | RSS KB/conn | heap KB/conn | RSS ÷ socket.io | heap ÷ socket.io |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const side of sides) {
    const rss = median(samples.get(side.name)!.map((s) => s.rss));
    const heap = median(samples.get(side.name)!.map((s) => s.heap));
    const ratio = (v: number, ref: number | undefined) => (ref ? `${(v / ref).toFixed(2)}×` : "—");
    console.log(
      `| ${side.name} | ${rss.toFixed(2)} | ${heap.toFixed(2)} | ${ratio(rss, refRss)} | ${ratio(heap, refHeap)} |`,
    );
  }
  return 0;
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
