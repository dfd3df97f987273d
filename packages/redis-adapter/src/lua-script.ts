// A Lua script run by its SHA1 (EVALSHA), sent in full only when Redis does not know it yet.
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-client.js";

export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  /** Loads the script into Redis's script cache (done once at start, so EVALSHA hits in order). */
  load(client: RedisClient): Promise<unknown> {
    return client.call("SCRIPT", "LOAD", this.source);
  }

  /** Runs the script; `binary` returns string replies as Buffers. */
  run(
    client: RedisClient,
    binary: boolean,
    keys: string[],
    args: Array<string | Buffer | number>,
  ): Promise<unknown> {
    const send = (binary ? client.callBuffer : client.call).bind(client);
    return send("EVALSHA", this.sha, keys.length, ...keys, ...args).catch((err: unknown) => {
      // The script cache is empty after a Redis restart or SCRIPT FLUSH.
      if (err instanceof Error && err.message.startsWith("NOSCRIPT")) {
        return send("EVAL", this.source, keys.length, ...keys, ...args);
      }
      throw err;
    });
  }
}
