// The hub: the one real connection that every tab of a browser shares. It runs in the SharedWorker (or in
// the leader tab) and speaks to tabs only through messages (messages.ts). Per namespace it holds one real
// Socket, so the server sees one socket per browser per namespace; tabs are its listeners.
import { subscribe } from "@volley/engine/client";
import type { ClientError } from "../errors.js";
import { Manager } from "../manager.js";
import { offsetAfter } from "../recovery-state.js";
import type { Socket } from "../socket.js";
import {
  type EmitMessage,
  type EventMessage,
  type HubMessage,
  type JoinMessage,
  randomId,
  type StateMessage,
  type TabMessage,
} from "./messages.js";

/** Where the hub's messages go: the worker's ports, or the leader's BroadcastChannel. */
export interface HubOutput {
  /** Sends to one tab. */
  toTab(tab: string, msg: HubMessage): void;
  /** Sends to these tabs (the listeners of one namespace). */
  toTabs(tabs: ReadonlySet<string>, msg: HubMessage): void;
}

/** Server emits waiting for a tab's acknowledgement, at most; the oldest is dropped beyond it. */
export const DEFAULT_MAX_PENDING_SERVER_ACKS = 1000;

/** The name of the Web Lock a hub holds while it lives: tabs waiting on it learn of its death. */
export function hubLockName(hub: string): string {
  return `volley-hub:${hub}`;
}

interface HubNamespace {
  socket: Socket;
  tabs: Set<string>;
  /** Emits that arrived while disconnected, handed to the socket on connect (their `took` waits). */
  waiting: EmitMessage[];
  unsubscribe: () => void;
}

type ServerAck = (...args: unknown[]) => void;

export class Hub {
  /** A fresh id per hub: tabs tell a replacement hub from the one they knew. */
  readonly id = randomId();
  readonly #out: HubOutput;
  #manager: Manager | undefined;
  readonly #nsps = new Map<string, HubNamespace>();
  /** Server emits asking for an ack, by the hub's id for them; insertion order is age. */
  readonly #serverAcks = new Map<number, ServerAck>();
  #nextServerAck = 0;
  #maxPendingServerAcks = DEFAULT_MAX_PENDING_SERVER_ACKS;

  constructor(out: HubOutput) {
    this.#out = out;
  }

  /** Server acks still waiting for a tab's answer (bounded by `maxPendingServerAcks`). */
  get pendingServerAcks(): number {
    return this.#serverAcks.size;
  }

  /** Handles one message from a tab. */
  receive(msg: TabMessage): void {
    switch (msg.t) {
      case "hi":
        this.#out.toTab(msg.tab, { t: "hello", hub: this.id });
        break;
      case "join":
        this.#join(msg);
        break;
      case "leave":
        this.#leave(msg.tab, msg.nsp);
        break;
      case "emit":
        this.#emit(msg);
        break;
      case "answer": {
        const ack = this.#serverAcks.get(msg.id);
        this.#serverAcks.delete(msg.id);
        ack?.(...msg.args);
        break;
      }
      case "bye":
        for (const nsp of [...this.#nsps.keys()]) this.#leave(msg.tab, nsp);
        break;
    }
  }

  /** Closes the connection (every namespace disconnects). */
  close(): void {
    for (const ns of this.#nsps.values()) ns.unsubscribe();
    this.#nsps.clear();
    this.#manager?.disconnect();
  }

  #join(msg: JoinMessage): void {
    if (!this.#manager) {
      const max = msg.opts.maxPendingServerAcks;
      if (typeof max === "number" && max >= 0) this.#maxPendingServerAcks = max;
      this.#manager = new Manager(msg.url, { ...msg.opts, autoConnect: false });
    }
    let ns = this.#nsps.get(msg.nsp);
    if (!ns) {
      const socket = this.#manager.socket(msg.nsp) as Socket;
      // The first tab's auth wins: the server sees one socket.
      socket.auth = msg.auth;
      // A hub replacing a lost one resumes the session the tabs saw (connection-state recovery).
      const recovery = socket.recovery;
      if (msg.pid !== undefined && recovery.pid === undefined) {
        recovery.pid = msg.pid;
        recovery.offset = msg.offset;
      }
      ns = { socket, tabs: new Set(), waiting: [], unsubscribe: () => {} };
      this.#nsps.set(msg.nsp, ns);
      ns.unsubscribe = this.#listen(msg.nsp, ns);
    }
    ns.tabs.add(msg.tab);
    if (ns.socket.connected) this.#out.toTab(msg.tab, this.#state(msg.nsp, ns.socket));
    // Not while it connects: a second connect() on an open Manager would send a second CONNECT.
    else if (!ns.socket.active) {
      // Ended (refused, or the server disconnected it): the tab that connects it again brings its auth.
      ns.socket.auth = msg.auth;
      ns.socket.connect();
    }
  }

  #listen(nsp: string, ns: HubNamespace): () => void {
    const { socket } = ns;
    const onAny = (...args: unknown[]) => {
      const ack =
        typeof args.at(-1) === "function" ? this.#holdServerAck(args.pop() as ServerAck) : undefined;
      // Read as the Socket reads it (its own copy is updated after the listeners ran).
      const offset = offsetAfter(socket.recovery, args);
      const msg: EventMessage = { t: "event", nsp, args };
      if (ack !== undefined) msg.ack = ack;
      if (offset !== undefined) msg.offset = offset;
      this.#out.toTabs(ns.tabs, msg);
    };
    socket.onAny(onAny);
    const unsubscribe = subscribe(socket, {
      connect: () => {
        this.#out.toTabs(ns.tabs, this.#state(nsp, socket));
        for (const msg of ns.waiting.splice(0)) this.#emit(msg);
      },
      disconnect: (reason) =>
        this.#out.toTabs(ns.tabs, { t: "state", nsp, connected: false, recovered: false, reason }),
      connect_error: (err) => {
        const { message, code, data } = err as ClientError;
        this.#out.toTabs(ns.tabs, { t: "connect_error", nsp, message, code, data });
      },
    });
    return () => {
      unsubscribe();
      socket.offAny(onAny);
    };
  }

  #state(nsp: string, socket: Socket): StateMessage {
    const { pid, offset } = socket.recovery;
    return {
      t: "state",
      nsp,
      connected: true,
      id: socket.id,
      pid,
      // A tab that joins late has seen no event: it learns where the session stands from here.
      offset,
      recovered: socket.recovered,
    };
  }

  /** Keeps the server's ack callback under a hub id; beyond the bound the oldest goes unanswered. */
  #holdServerAck(ack: ServerAck): number {
    const id = this.#nextServerAck++;
    this.#serverAcks.set(id, ack);
    if (this.#serverAcks.size > this.#maxPendingServerAcks)
      this.#serverAcks.delete(this.#serverAcks.keys().next().value!);
    return id;
  }

  #emit(msg: EmitMessage): void {
    const ns = this.#nsps.get(msg.nsp);
    if (!ns?.tabs.has(msg.tab)) return; // not joined (left, or a message from before a rejoin)
    const { socket } = ns;
    if (!socket.connected) {
      if (!msg.volatile) ns.waiting.push(msg);
      return;
    }
    const { tab, nsp, seq } = msg;
    const args = msg.args.slice(1);
    // The tab's ack id is remapped: the Socket numbers the packet; the answer goes back to `tab` by `seq`.
    if (msg.ack)
      args.push((...answer: unknown[]) => this.#out.toTab(tab, { t: "ack", nsp, seq, args: answer }));
    let error: { code?: string; message: string; data?: unknown } | undefined;
    try {
      (msg.volatile ? socket.volatile : socket).compress(msg.compress).emit(msg.args[0] as string, ...args);
    } catch (err) {
      const { code, message, data } = err as ClientError;
      error = { code, message, data };
    }
    if (!msg.volatile || error) this.#out.toTab(tab, { t: "took", nsp, seq, error });
  }

  #leave(tab: string, nsp: string): void {
    const ns = this.#nsps.get(nsp);
    if (!ns?.tabs.delete(tab)) return;
    ns.waiting = ns.waiting.filter((msg) => msg.tab !== tab);
    if (ns.tabs.size > 0) return;
    ns.unsubscribe();
    this.#nsps.delete(nsp);
    ns.socket.disconnect();
  }
}
