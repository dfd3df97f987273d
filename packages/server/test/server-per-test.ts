// The server of each test in a describe block, with the raw clients the test opens: closed after the test
// (the clients first), whether it passed or not.
import { afterEach } from "node:test";
import type { ServerOptions, Socket } from "volley";
import { type Harness, next, setup, type TransportMode } from "./helpers.js";
import { RawClient } from "./raw-client.js";

export interface ServerPerTest {
  /** Starts the test's server (see `setup`). */
  setup(opts?: ServerOptions, mode?: TransportMode): Promise<Harness>;
  /** A raw client of the test's server, not connected yet. */
  raw(): RawClient;
  /** A raw client, connected, and the server's socket for it. */
  rawSocket(): Promise<[RawClient, Socket]>;
}

/** Call in a describe block: registers the `afterEach` that stops what each test started. */
export function serverPerTest(): ServerPerTest {
  let harness: Harness | undefined;
  const raws: RawClient[] = [];
  afterEach(async () => {
    for (const raw of raws.splice(0)) await raw.close();
    await harness?.cleanup();
    harness = undefined;
  });
  const started = (): Harness => {
    if (!harness) throw new Error("serverPerTest: setup() first");
    return harness;
  };
  const raw = (): RawClient => {
    const client = new RawClient(started().port);
    raws.push(client);
    return client;
  };
  return {
    async setup(opts, mode) {
      harness = await setup(opts, mode);
      return harness;
    },
    raw,
    async rawSocket() {
      const client = raw();
      const joined = next<[Socket]>(started().io, "connection");
      await client.connect();
      const [socket] = await joined;
      return [client, socket];
    },
  };
}
