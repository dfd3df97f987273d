// The Redis side of a cluster server under test: two ioredis connections (publish, subscribe) to the row's
// own redis-server, and how long to wait until every node of the cluster counts every other.
import { Redis } from "ioredis";

/** Where the cluster's Redis runs, and the key (channel prefix) of this run's cluster. */
export interface ClusterOptions {
  redisPort: number;
  key: string;
}

export interface RedisPair {
  pub: Redis;
  sub: Redis;
  quit(): Promise<void>;
}

export async function connectRedisPair(port: number): Promise<RedisPair> {
  const pub = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    pub,
    sub,
    quit: async () => {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
