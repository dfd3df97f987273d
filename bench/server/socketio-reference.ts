// socket.io 4.8 running the Socket.IO benchmark app; as a cluster node with @socket.io/redis-adapter.
import { createAdapter } from "@socket.io/redis-adapter";
import { Server } from "socket.io";
import { type ClusterOptions, connectRedisPair, type RedisPair } from "./cluster.js";
import { createTrackedHttpServer } from "./http.js";
import { attachSioApp, type SioServerLike } from "./sio-app.js";
import { type Counters, deflateOption, type Scenario, type ServerUnderTest } from "./types.js";

export async function startSocketIoReference(
  scenario: Scenario,
  counters: Counters,
  cluster?: ClusterOptions,
): Promise<ServerUnderTest> {
  const http = createTrackedHttpServer();
  let redis: RedisPair | undefined;
  const options: ConstructorParameters<typeof Server>[1] = {
    serveClient: false,
    perMessageDeflate: deflateOption(scenario),
  };
  if (cluster) {
    redis = await connectRedisPair(cluster.redisPort);
    options.adapter = createAdapter(redis.pub, redis.sub, { key: cluster.key });
  }
  const io = new Server(http.server, options);
  attachSioApp(io as unknown as SioServerLike, scenario, counters);
  const port = await http.listen();
  return {
    port,
    serverCount: cluster ? () => io.of("/").adapter.serverCount() : undefined,
    close: async () => {
      io.close();
      await http.close();
      await redis?.quit();
    },
  };
}
