// Server processes for the multi-process tests, and a TCP load balancer in front of them.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer, connect, type Server, type Socket } from "node:net";

export interface ServerProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  call<T = unknown>(cmd: string, ...args: unknown[]): Promise<T>;
  kill(): Promise<void>;
  close(): Promise<void>;
}

const fixture = new URL("./fixtures/node.ts", import.meta.url).pathname;

/** Forks a server process (TypeScript sources, like the tests) and waits until it listens. */
export async function spawnServer(name: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = fork(fixture, [], {
    execArgv: ["--conditions=volley-source", "--import", "tsx"],
    env: { ...process.env, ...env, NAME: name },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const events: Array<Record<string, unknown>> = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let ids = 0;
  child.on("message", (msg: Record<string, unknown>) => {
    if (typeof msg.id === "number" && pending.has(msg.id)) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(String(msg.error)));
      else p.resolve(msg.result);
    } else events.push(msg);
  });
  const exited = once(child, "exit");
  child.on("exit", () => {
    for (const p of pending.values()) p.reject(new Error(`${name} exited`));
    pending.clear();
  });
  const [ready] = (await Promise.race([
    new Promise((resolve) => {
      const onMessage = (msg: Record<string, unknown>) => {
        if (msg.event === "ready") {
          child.off("message", onMessage);
          resolve([msg]);
        }
      };
      child.on("message", onMessage);
    }),
    exited.then(() => {
      throw new Error(`${name} exited before listening`);
    }),
  ])) as [{ port: number }];
  const port = ready.port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    events,
    call<T>(cmd: string, ...args: unknown[]): Promise<T> {
      const id = ids++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, args });
      });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ id: ids++, cmd: "close", args: [] });
      await exited;
    },
  };
}

/** A TCP load balancer on 127.0.0.1:0: new connections go to `target`, which the test can change. */
export interface Balancer {
  port: number;
  url: string;
  target: number;
  close(): Promise<void>;
}

export async function startBalancer(target: number): Promise<Balancer> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const balancer = { target } as Balancer;
  const server: Server = createServer((downstream) => {
    const upstream = connect(balancer.target, "127.0.0.1");
    track(downstream);
    track(upstream);
    downstream.pipe(upstream).pipe(downstream);
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  balancer.port = (server.address() as AddressInfo).port;
  balancer.url = `http://127.0.0.1:${balancer.port}`;
  balancer.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return balancer;
}
