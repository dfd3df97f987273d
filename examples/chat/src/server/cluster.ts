// `--workers N`: the demo on N node:cluster workers sharing one port, through
// @volley/cluster-adapter — rooms and broadcasts span the workers, polling works on any worker, a
// worker that dies is replaced. Presence lists and room history stay per worker (kept in memory).
import { createAdapter, createSessionRouter, runClustered } from "@volley/cluster-adapter";
import { startChatServer } from "./chat-server.js";

/** The worker count from `--workers N` / `--workers=N`, else VOLLEY_WORKERS; an error message when invalid. */
export function parseWorkers(args: string[], env: string | undefined): number | string | undefined {
  let raw = env === "" ? undefined : env;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--workers") raw = args[++i] ?? "";
    else if (arg.startsWith("--workers=")) raw = arg.slice("--workers=".length);
  }
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 && n <= 1024
    ? n
    : `--workers (or VOLLEY_WORKERS) must be an integer from 1 to 1024, got "${raw}"`;
}

/** Runs the demo on `workers` workers; the primary prints where once every worker listens. */
export async function startClustered(port: number, workers: number): Promise<void> {
  const handle = await runClustered(
    async () => {
      const server = await startChatServer({
        port,
        adapter: createAdapter(),
        sessionRouter: (httpServer) => createSessionRouter(httpServer),
      });
      process.send?.({ chat: "listening", port: server.port });
      return () => server.close();
    },
    { workers },
  );
  if (!handle) return;
  let listening = 0;
  for (const worker of handle.workers()) {
    worker.on("message", (msg: { chat?: string; port?: number }) => {
      if (msg?.chat === "listening" && ++listening === workers) {
        console.log(`Volley chat on http://localhost:${msg.port} (${workers} workers)`);
      }
    });
  }
}
