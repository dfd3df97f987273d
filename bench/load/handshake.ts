// Handshake storm: N clients start connecting at the same moment; each opens its session (websocket, or
// polling then the upgrade), CONNECTs to `/`, sends its first event and waits for its ack. The figure is
// the time until the last one has its ack.
import { Samples } from "../lib/stats.js";
import type { LoadClient } from "./client.js";
import { PollingLoadClient } from "./polling-client.js";
import { SioLoadClient } from "./sio-client.js";

export interface HandshakeResult {
  /** Clients through the first event's ack. */
  connected: number;
  /** From the first connect to the last ack, ms. */
  elapsedMs: number;
  /** Per client, from its start to its first ack, ms. */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

export type HandshakeTransport = "websocket" | "polling-upgrade";

function firstEvent(client: LoadClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.onReply = resolve;
    client.onError = (reason) => reject(new Error(reason));
    client.sendEcho();
  });
}

export async function runHandshakes(
  transport: HandshakeTransport,
  port: number,
  count: number,
  size: number,
  into: LoadClient[],
): Promise<HandshakeResult> {
  const samples = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const one = async (i: number) => {
    const began = performance.now();
    try {
      const client =
        transport === "websocket"
          ? await SioLoadClient.connect({ port, size })
          : await PollingLoadClient.connect({ port, size, upgrade: true });
      into[i] = client;
      await firstEvent(client);
      samples.add(performance.now() - began);
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  const elapsedMs = performance.now() - start;
  const [p50, p99] = samples.percentiles([0.5, 0.99]);
  return { connected: samples.count, elapsedMs, p50: p50!, p99: p99!, errors, firstError };
}
