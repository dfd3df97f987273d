// The cluster suite (the one the Redis adapter and the in-process bus pass) on the node:cluster
// adapter: every message through the primary's relay over real IPC channels (ipc-backend.ts).
import { randomBytes } from "node:crypto";
import { clusterSuite } from "../../redis-adapter/test/cluster-suite.js";
import { IpcTestCluster } from "./ipc-backend.js";

const cluster = new IpcTestCluster();

clusterSuite({
  name: "node:cluster IPC",
  key: () => `ipc-${randomBytes(4).toString("hex")}`,
  start: (key, opts) => cluster.start({ ...opts, key }),
  async kill(node) {
    node.io.of("/").adapter.on("error", () => {});
    await cluster.kill(node);
    await node.close();
  },
});
