// A rolling migration on one real Redis: three socket.io nodes (official @socket.io/redis-adapter)
// are replaced one by one by Volley nodes (compat: "socket.io") while clients keep chatting: each
// client sends numbered messages in a loop (the next once the server acknowledged the last), and
// each server relays every message to a room all clients are in. After each replacement no client
// whose node was not the one replaced has lost, duplicated or reordered a message of any other such
// client. The end of each phase is found by a marker from every sender (Redis and each server keep
// a publisher's order): no timing is assumed anywhere.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  type AnyNode,
  guard,
  startRedisInRange,
  startSocketIo,
  startVolley,
  type TestRedis,
} from "./compat-helpers.js";
import { uniqueKey } from "./helpers.js";

const CLIENTS_PER_NODE = 3;
/** Messages every client sends in each stage of a phase (before, during, after the replacement). */
const PER_STAGE = 20;
const END = -1;

interface ChatMessage {
  from: string;
  seq: number;
}

/** A chatting client: what it sent, what it received from whom, and when it joined. */
class Chatter {
  /** Messages sent and acknowledged (the next one carries this number). */
  sent = 0;
  readonly received = new Map<string, number[]>();
  readonly markers = new Set<string>();
  /** For each sender alive when this client joined: the first number this client must receive. */
  readonly firstExpected = new Map<string, number>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly node: AnyNode,
    readonly socket: ClientSocket,
  ) {
    socket.on("chat", (m: ChatMessage) => {
      if (m.seq === END) this.markers.add(m.from);
      else {
        const list = this.received.get(m.from);
        if (list) list.push(m.seq);
        else this.received.set(m.from, [m.seq]);
      }
      this.wake();
    });
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.socket.timeout(20_000).emitWithAck("chat", { from: this.name, seq: this.sent });
        this.sent++;
        this.wake();
      }
    })();
  }

  /** Stops after the message in flight is acknowledged. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves once `condition` holds (checked on every message sent or received). */
  until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return guard(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition()) return;
          this.waiters.delete(check);
          resolve();
        };
        this.waiters.add(check);
      }),
      `${this.name}: ${what}`,
      60_000,
    );
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}

let redis: TestRedis;
const key = uniqueKey();
const nodes: AnyNode[] = [];
let chatters: Chatter[] = [];

function serve(node: AnyNode): AnyNode {
  node.io.on("connection", (socket) => {
    socket.join("lobby");
    socket.on("chat", (m: ChatMessage, ack?: () => void) => {
      node.io.to("lobby").emit("chat", m);
      if (typeof ack === "function") ack(); // markers come without
    });
  });
  return node;
}

async function addChatters(node: AnyNode, prefix: string): Promise<Chatter[]> {
  const added: Chatter[] = [];
  for (let i = 0; i < CLIENTS_PER_NODE; i++) {
    const name = `${prefix}-${i}`;
    const chatter = new Chatter(name, node, await node.member({ name }));
    // A message in flight when this client joined may have left before it: start after it.
    for (const other of chatters) chatter.firstExpected.set(other.name, other.sent + 1);
    added.push(chatter);
  }
  return added;
}

before(async () => {
  redis = await startRedisInRange(7430, 7449);
  for (let i = 0; i < 3; i++) nodes.push(serve(await startSocketIo(redis.port, key, 5000)));
  for (let i = 0; i < 3; i++) chatters.push(...(await addChatters(nodes[i]!, `sio${i}`)));
});

after(async () => {
  for (const c of chatters) await c.stop().catch(() => {});
  await Promise.allSettled(nodes.map((n) => n.close()));
  await redis?.stop();
});

/** Resolves once each of `group` has sent PER_STAGE more messages (acknowledged). */
function sendMore(group: Chatter[], stage: string): Promise<unknown> {
  return Promise.all(
    group.map((c) => {
      const target = c.sent + PER_STAGE;
      return c.until(() => c.sent >= target, `${PER_STAGE} messages ${stage}`);
    }),
  );
}

/** Every pair of current clients: nothing lost, nothing twice, in order, since the receiver joined. */
function checkNoLoss(): void {
  for (const receiver of chatters) {
    for (const sender of chatters) {
      const first = receiver.firstExpected.get(sender.name) ?? 0;
      const got = (receiver.received.get(sender.name) ?? []).filter((seq) => seq >= first);
      const expected = Array.from({ length: Math.max(0, sender.sent - first) }, (_, i) => first + i);
      assert.deepEqual(got, expected, `${receiver.name} from ${sender.name}`);
    }
  }
}

test("rolling migration: 3 socket.io nodes replaced one by one by Volley nodes while clients chat", async (t) => {
  for (const c of chatters) c.start();
  for (let i = 0; i < 3; i++) {
    // Chat is under way on every node.
    await sendMore(chatters, "before");

    // Replace node i: the Volley node joins and chat goes on with four servers; then the socket.io
    // node leaves (its clients with it) and chat goes on without them.
    const replaced = nodes[i]!;
    const volley = serve(await startVolley(redis.port, key, 5000));
    nodes[i] = volley;
    await sendMore(chatters, "with the Volley node joined");
    const leaving = chatters.filter((c) => c.node === replaced);
    chatters = chatters.filter((c) => c.node !== replaced);
    await Promise.all(leaving.map((c) => c.stop()));
    await replaced.close();
    await sendMore(chatters, "with the socket.io node gone");

    // Its clients come back on the Volley node and chat with everyone.
    const fresh = await addChatters(volley, `volley${i}`);
    chatters.push(...fresh);
    for (const c of fresh) c.start();
    await sendMore(chatters, "with the clients back");

    // The cluster sees three servers, and every socket, from a node of either kind.
    for (const node of nodes) assert.equal(await node.io.of("/").adapter.serverCount(), 3, node.kind);
    for (const node of nodes) {
      const ids = (await node.io.fetchSockets()).map((s) => s.id).sort();
      assert.deepEqual(ids, chatters.map((c) => c.socket.id).sort(), `fetchSockets on a ${node.kind} node`);
    }

    // Pause, end every sender's stream with a marker, and check.
    await Promise.all(chatters.map((c) => c.stop()));
    for (const c of chatters) c.socket.emit("chat", { from: c.name, seq: END });
    await Promise.all(
      chatters.map((r) => r.until(() => chatters.every((s) => r.markers.has(s.name)), "every marker")),
    );
    checkNoLoss();
    for (const c of chatters) {
      c.markers.clear();
      c.start();
    }
  }
  assert.deepEqual(
    nodes.map((n) => n.kind),
    ["volley", "volley", "volley"],
  );
  // Volley nodes in compat mode among themselves: acknowledgements and server-side events.
  for (const c of chatters) c.socket.on("ping", (ack: (name: string) => void) => ack(c.name));
  const pongs = (await guard(nodes[0]!.io.timeout(10_000).emitWithAck("ping"), "acks")) as string[];
  assert.deepEqual(pongs.sort(), chatters.map((c) => c.name).sort());
  for (const [i, node] of nodes.entries()) node.io.on("who", (reply: (n: number) => void) => reply(i));
  const answers = (await guard(nodes[1]!.io.serverSideEmitWithAck("who"), "server acks")) as number[];
  assert.deepEqual(answers.sort(), [0, 2]);
  const total = chatters.reduce((sum, c) => sum + c.sent, 0);
  assert.ok(total >= chatters.length * PER_STAGE * 4, `${total} messages`);
  t.diagnostic(`${total} messages sent by the final clients, each delivered to all ${chatters.length}`);
});
