// Where each server of a cluster can be reached by the others, so a request for a session can be
// forwarded to the server that holds it. Entries expire unless refreshed: a dead server drops out.
import type { RedisClient } from "./redis-client.js";

/** The address book of a cluster's servers, by node id. */
export interface NodeDirectory {
  /** Publishes (or refreshes) that node `id` is reachable at `address` ("host:port") for `ttl` ms. */
  register(id: string, address: string, ttl: number): Promise<void>;
  /** The address of node `id`, or undefined when it is unknown or expired. */
  lookup(id: string): Promise<string | undefined>;
  /** Removes node `id` (it is shutting down). */
  unregister(id: string): Promise<void>;
}

/** A {@link NodeDirectory} in Redis: one key per node (`<key>#node#<id>`), with a TTL. */
export class RedisNodeDirectory implements NodeDirectory {
  private readonly client: RedisClient;
  private readonly prefix: string;

  constructor(client: RedisClient, key: string) {
    this.client = client;
    this.prefix = `${key}#node#`;
  }

  async register(id: string, address: string, ttl: number): Promise<void> {
    await this.client.call("SET", this.prefix + id, address, "PX", Math.ceil(ttl));
  }

  async lookup(id: string): Promise<string | undefined> {
    const address = await this.client.call("GET", this.prefix + id);
    return typeof address === "string" ? address : undefined;
  }

  async unregister(id: string): Promise<void> {
    await this.client.call("DEL", this.prefix + id);
  }
}
