// Server processes for the sticky-free tests (fixtures/sticky-free-node.ts), driven over IPC.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";

const fixture = new URL("./fixtures/sticky-free-node.ts", import.meta.url).pathname;

/** What a node reports of itself. */
export interface NodeState {
  nodeId: string;
  stats: {
    forwardedRequests: number;
    forwardedUpgrades: number;
    refused: number;
    openTunnels: number;
    openRequests: number;
  };
  tunnels: string[];
  sessions: string[];
  refusals: Record<string, number>;
}

export interface StickyFreeNode {
  name: string;
  port: number;
  errors: string[];
  state(): Promise<NodeState>;
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** Forks one server (TypeScript sources, like the tests) and waits until it listens and is in the directory. */
export async function spawnNode(
  name: string,
  redisPort: number,
  key: string,
  opts: { recovery?: boolean } = {},
): Promise<StickyFreeNode> {
  const child: ChildProcess = fork(fixture, [], {
    execArgv: ["--conditions=volley-source", "--import", "tsx"],
    env: {
      ...process.env,
      NAME: name,
      REDIS_PORT: String(redisPort),
      KEY: key,
      RECOVERY: opts.recovery ? "1" : "",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const errors: string[] = [];
  const pending = new Map<number, (msg: Record<string, unknown>) => void>();
  let ids = 0;
  let ready: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => {
    ready = resolve;
  });
  child.on("message", (msg: Record<string, unknown>) => {
    if (typeof msg.id === "number") {
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    } else if (msg.event === "ready") ready(msg.port as number);
    else if (msg.event === "error") errors.push(String(msg.message));
  });
  const exited = once(child, "exit");
  child.on("exit", () => {
    for (const settle of pending.values()) settle({ error: `${name} exited` });
    pending.clear();
  });
  const port = await Promise.race([
    listening,
    exited.then(() => {
      throw new Error(`${name} exited before listening`);
    }),
  ]);
  const call = <T>(cmd: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ids++;
      pending.set(id, (msg) =>
        msg.error !== undefined ? reject(new Error(String(msg.error))) : resolve(msg.result as T),
      );
      child.send({ id, cmd, args: [] });
    });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    port,
    errors,
    state: () => call<NodeState>("state"),
    async kill() {
      if (gone()) return;
      child.kill("SIGKILL");
      await exited;
    },
    async close() {
      if (gone()) return;
      child.send({ id: ids++, cmd: "close", args: [] });
      await exited;
    },
  };
}
