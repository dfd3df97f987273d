// The one place the tests name their Node client library.
import { io, type Socket } from "@volley/client";
import type { ClientToServerEvents, ServerToClientEvents } from "../../src/shared/events.js";

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A Node client of the chat on `port`; reconnection off so a test ends when it closes it. */
export function chatClient(port: number, name: string): ChatClient {
  return io(`http://127.0.0.1:${port}`, { auth: { name }, reconnection: false, transports: ["websocket"] });
}

/** Resolves once the client is connected (or rejects on `connect_error`). */
export function whenConnected(client: ChatClient): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connected) return resolve();
    client.once("connect", () => resolve());
    client.once("connect_error", reject);
  });
}

/** The first payload of the next `event` the server sends to this client. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  client: ChatClient,
  event: E,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve) => {
    const on = client.once.bind(client) as (event: string, listener: (payload: unknown) => void) => void;
    on(event, (payload) => resolve(payload as Parameters<ServerToClientEvents[E]>[0]));
  });
}
