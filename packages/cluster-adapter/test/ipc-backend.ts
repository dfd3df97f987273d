// The cluster suite's backend for the node:cluster adapter: the servers live in the test process
// (the suite drives their `io` directly), the relay too, but every message between an adapter and
// the relay crosses a real IPC channel twice, through a forked process of its own that echoes it
// (fixtures/echo-shim.cjs). Killing that process with SIGKILL is what a worker's death looks like
// to both: the relay sees it exit and tells the others, the adapter's channel closes.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import type { ClusterAdapterOptions } from "volley";
import { type ServerNode, startServer } from "../../redis-adapter/test/helpers.js";
import { createAdapter, type IpcPort, PrimaryRelay, type WorkerPort } from "../src/index.js";

const shim = new URL("./fixtures/echo-shim.cjs", import.meta.url).pathname;

type Direction = "to-primary" | "to-worker";

/** One end of the echoed channel: what is sent comes back from the shim tagged for the other end. */
function end(child: ChildProcess, sends: Direction) {
  const receives: Direction = sends === "to-primary" ? "to-worker" : "to-primary";
  return {
    send(message: unknown, callback?: (error: Error | null) => void): boolean {
      return child.send({ dir: sends, message }, callback);
    },
    on(event: string, listener: (...args: never[]) => void) {
      if (event === "message") {
        child.on("message", (m: { dir: Direction; message: unknown }) => {
          if (m.dir === receives) (listener as (message: unknown) => void)(m.message);
        });
      } else child.on(event, listener);
      return this;
    },
    get connected() {
      return child.connected;
    },
  };
}

/** A relay in this process and, per server, a shim process carrying its channel. */
export class IpcTestCluster {
  readonly relay = new PrimaryRelay();
  private readonly shims = new Map<ServerNode, ChildProcess>();

  async start(opts: ClusterAdapterOptions & { key?: string }, serverOpts = {}): Promise<ServerNode> {
    const child = fork(shim, [], {
      execArgv: [],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await once(child, "message");
    this.relay.attach(end(child, "to-worker") as WorkerPort);
    const port = end(child, "to-primary") as IpcPort;
    const node = await startServer(
      createAdapter({ ...opts, port, serialization: "advanced" }),
      serverOpts,
      async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill();
          await exited;
        }
      },
    );
    this.shims.set(node, child);
    return node;
  }

  /** SIGKILLs the process carrying `node`'s channel; resolves once the relay has seen it exit. */
  async kill(node: ServerNode): Promise<void> {
    const child = this.shims.get(node)!;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
}
