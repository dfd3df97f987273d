// The chat the sticky-free tests run through nginx: official socket.io-client clients that send
// numbered, acknowledged messages which the servers broadcast to everyone, and the checks on them.
import assert from "node:assert/strict";
import {
  io as ioc,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { until } from "./helpers.js";

export interface Chat {
  from: string;
  n: number;
}

/** A client of the chat: what it received, how often, and its connection history. */
export interface Chatter {
  name: string;
  socket: ClientSocket;
  received: Map<string, number>;
  disconnects: string[];
  connectErrors: string[];
  sids: string[];
}

export function chatter(url: string, name: string, opts: Partial<ManagerOptions & SocketOptions>): Chatter {
  const socket = ioc(url, { forceNew: true, reconnection: false, ...opts });
  const c: Chatter = { name, socket, received: new Map(), disconnects: [], connectErrors: [], sids: [] };
  socket.on("chat", (msg: Chat) => {
    const id = `${msg.from}#${msg.n}`;
    c.received.set(id, (c.received.get(id) ?? 0) + 1);
  });
  socket.on("connect", () => c.sids.push(socket.io.engine.id));
  socket.on("disconnect", (reason) => c.disconnects.push(reason));
  socket.on("connect_error", (err) => c.connectErrors.push(err.message));
  return c;
}

/** Every chatter sends `count` messages numbered from `first`, each acknowledged; resolves with the answers. */
export async function chatRound(chatters: Chatter[], first: number, count: number): Promise<string[]> {
  const answers = await Promise.all(
    chatters.map(async (c) => {
      const mine: string[] = [];
      for (let n = first; n < first + count; n++) {
        mine.push(await c.socket.timeout(10_000).emitWithAck("chat", { from: c.name, n }));
      }
      return mine;
    }),
  );
  return answers.flat();
}

export function expectedIds(chatters: Chatter[], first: number, count: number): string[] {
  const ids: string[] = [];
  for (const c of chatters) for (let n = first; n < first + count; n++) ids.push(`${c.name}#${n}`);
  return ids;
}

export async function allReceived(chatters: Chatter[], ids: string[]): Promise<void> {
  await until(
    () => chatters.every((c) => ids.every((id) => c.received.has(id))),
    "every message everywhere",
    1000,
  );
}

export function assertExactlyOnce(chatters: Chatter[], ids: string[]): void {
  for (const c of chatters) {
    for (const id of ids)
      assert.equal(c.received.get(id), 1, `${c.name} got ${id} ${c.received.get(id) ?? 0} times`);
    for (const [id, times] of c.received) assert.ok(times <= 1, `${c.name} got ${id} ${times} times`);
  }
}

export function assertAnswers(answers: string[], ids: string[]): void {
  assert.equal(answers.length, ids.length);
  const acked = answers.map((a) => a.slice(a.indexOf(" got ") + 5)).sort();
  assert.deepEqual(acked, [...ids].sort());
}
