// Exactly-once processing within the recovery window, the client's side (an add-on: the main bundle does
// not carry it). It is one of the Manager's packet hooks (`packet-hook.ts`), which see every packet before
// the Sockets do, and keeps its Socket's session through `socket.recovery` (`recovery-state.ts`):
// - out: the CONNECT asks for `exactlyOnce: true`; acknowledged emits are remembered until answered; the
//   answers this client gives to the server's acknowledged emits are remembered (bounded);
// - in: the CONNECT answer says whether the server continues the session's record (`exactlyOnce: true`); a
//   server emit already answered is answered again without reaching the application, one still running
//   is dropped (its answer goes out when the handler gives it);
// - on a lost connection: the emits still awaiting an answer go back to the front of the Socket's send
//   buffer, oldest first, so they are sent again with the same ack ids when the session is recovered; the
//   server answers a repeat from its record instead of processing it twice. When the server does not
//   continue the record, they fail with NOT_RECOVERED instead: their outcome is unknown.
import type { Packet } from "@volley/protocol";
import { ClientError } from "./errors.js";
import type { OutPacket, PacketHook } from "./packet-hook.js";
import { ACK, BINARY_ACK, BINARY_EVENT, CONNECT, EVENT } from "./packet-type.js";
import type { Socket } from "./socket.js";
import type { Ack } from "./socket-api.js";

/** A Socket's state as kept over a page reload (see `exactly-once-install.ts`). */
export interface ExactlyOnceSnapshot {
  /** The private session id and the offset of the last event seen (connection-state recovery). */
  pid: string;
  offset?: string;
  /** The Socket's next acknowledgement id: ids are never reused within a session. */
  nextId: number;
  /** Emits not yet answered (id) or not yet sent (`null`: no acknowledgement), oldest first: `[id, [event, ...args]]`. */
  pending: Array<[id: number | null, data: unknown[]]>;
  /** Answers given to server emits, by the server's ack id. */
  answers: Array<[id: number, answer: unknown[]]>;
}

/** An emit sent again after a page reload, and how it ended (`onRestoredAck`). */
export interface RestoredAck {
  event: string;
  args: unknown[];
  /** The server's answer. */
  answer?: unknown[];
  /** Set instead of `answer` when the session was not recovered (`NOT_RECOVERED`). */
  error?: ClientError;
}

/** Options of {@link ExactlyOnce}. */
export interface ExactlyOnceOptions {
  /**
   * Most answers to server emits remembered, to answer a repeat without processing it again. Keep it at
   * least the server's `exactlyOnce.maxEmits` (the most server emits in flight per session). Default 1000.
   */
  maxAnswers?: number;
  /** Called for each emit sent again after a page reload, whose original callback is gone. Default none. */
  onRestoredAck?: (ack: RestoredAck) => void;
}

const isEvent = (type: number) => type === EVENT || type === BINARY_EVENT;
const isAck = (type: number) => type === ACK || type === BINARY_ACK;

/**
 * The exactly-once state of one Socket. Create it with `exactlyOnce(socket)` before the Socket connects.
 * It is a hook on its Manager's packets (`writing`, `received`, `closed`: `@internal`), minding only its
 * Socket's namespace.
 */
export class ExactlyOnce implements PacketHook {
  readonly socket: Socket;
  /** Whether the server continues the session's record on the current (or last) connection. */
  granted = false;
  readonly #maxAnswers: number;
  readonly #onRestoredAck: ExactlyOnceOptions["onRestoredAck"];
  /** Acknowledged emits written and not yet answered, by ack id. */
  #inflight = new Map<number, OutPacket>();
  #pruneAt: number;
  /** Ack ids of the emits put back in the send buffer at the last cut. */
  #requeued = new Set<number>();
  /** Answers this client gave to server emits, oldest first. */
  #answers = new Map<number, unknown[]>();
  /** Server emits delivered to the application and not yet answered. */
  #running = new Set<number>();

  constructor(socket: Socket, options: ExactlyOnceOptions = {}) {
    this.socket = socket;
    this.#maxAnswers = options.maxAnswers ?? 1000;
    this.#pruneAt = this.#maxAnswers;
    this.#onRestoredAck = options.onRestoredAck;
    // One state per Socket: a second one takes the first one's place.
    const hooks = socket.io.hooks;
    const previous = hooks.findIndex((hook) => hook instanceof ExactlyOnce && hook.socket === socket);
    if (previous < 0) hooks.push(this);
    else hooks[previous] = this;
  }

  /** The state to keep over a page reload; undefined before the server gave a session id. */
  snapshot(): ExactlyOnceSnapshot | undefined {
    const { socket } = this;
    const { pid, offset, nextId, acks } = socket.recovery;
    if (!pid) return undefined;
    const pending: ExactlyOnceSnapshot["pending"] = [];
    const seen = new Set<number>();
    const add = (packet: OutPacket) => {
      const id = packet.id;
      if (id !== undefined && (seen.has(id) || !acks.has(id))) return;
      // JSON storage: an emit carrying binary does not survive a reload.
      if (hasBinary(packet.data)) return;
      if (id !== undefined) seen.add(id);
      pending.push([id ?? null, packet.data as unknown[]]);
    };
    for (const packet of this.#sortedInflight()) add(packet);
    for (const packet of socket.sendBuffer) if (isEvent(packet.type)) add(packet);
    return {
      pid,
      offset,
      nextId,
      pending,
      answers: [...this.#answers].filter(([, answer]) => !hasBinary(answer)),
    };
  }

  /** Resumes from a snapshot taken by the previous page: the session, its id counter, its pending emits. */
  restore(snapshot: ExactlyOnceSnapshot): void {
    const { socket } = this;
    const recovery = socket.recovery;
    recovery.pid = snapshot.pid;
    recovery.offset = snapshot.offset;
    recovery.nextId = Math.max(recovery.nextId, snapshot.nextId);
    for (const [id, data] of snapshot.pending) {
      const packet: OutPacket = { type: EVENT, nsp: socket.nsp, data, options: { compress: true } };
      if (id !== null) {
        packet.id = id;
        this.#requeued.add(id);
        const [event, ...args] = data as [string, ...unknown[]];
        const ack: Ack = (err: ClientError | null, ...answer: unknown[]) =>
          this.#onRestoredAck?.(err ? { event, args, error: err } : { event, args, answer });
        ack.withError = true;
        recovery.acks.set(id, ack);
      }
      socket.sendBuffer.push(packet);
    }
    for (const [id, answer] of snapshot.answers) this.#remember(id, answer);
  }

  /**
   * @internal A packet the Manager is about to write. An emit or answer it then refuses as too large is
   * remembered all the same: the emit's acknowledgement is failed at once (so it is neither sent again nor
   * kept over a reload), and the server never gets the answer, first or repeated.
   */
  writing(packet: OutPacket): void {
    const { type, id } = packet;
    if (packet.nsp !== this.socket.nsp) return;
    if (type === CONNECT) packet.data = { ...(packet.data as object), exactlyOnce: true };
    else if (id === undefined) return;
    else if (isEvent(type)) {
      this.#inflight.set(id, packet);
      if (this.#inflight.size > this.#pruneAt) this.#prune();
    } else if (isAck(type) && this.#running.delete(id)) this.#remember(id, packet.data as unknown[]);
  }

  /** @internal A packet received; true when it must not reach the Socket. */
  received(packet: Packet): boolean {
    const { type, id } = packet;
    if (packet.nsp !== this.socket.nsp) return false;
    if (type === CONNECT) this.#onConnect(packet.data as Record<string, unknown> | undefined);
    else if (id === undefined) return false;
    else if (isAck(type)) this.#inflight.delete(id);
    else if (isEvent(type) && this.granted) {
      const answer = this.#answers.get(id);
      if (answer) {
        this.socket.io.write({ type: ACK, nsp: this.socket.nsp, id, data: answer });
        return true;
      }
      if (this.#running.has(id)) return true;
      this.#running.add(id);
      if (this.#running.size > this.#maxAnswers) this.#running.delete(this.#running.values().next().value!);
    }
    return false;
  }

  /** @internal The connection is lost: unanswered emits go back to the send buffer, oldest first. */
  closed(): void {
    if (!this.granted) return;
    const { socket } = this;
    const acks = socket.recovery.acks;
    const again = this.#sortedInflight().filter(
      (packet) => acks.has(packet.id!) && !socket.sendBuffer.includes(packet),
    );
    this.#inflight.clear();
    for (const packet of again) this.#requeued.add(packet.id!);
    socket.sendBuffer = [...again, ...socket.sendBuffer];
  }

  #onConnect(data: Record<string, unknown> | undefined): void {
    const { socket } = this;
    const acks = socket.recovery.acks;
    // Before the Socket sees the answer: `recovery.pid` is still the previous session's.
    const recovered = typeof data?.pid === "string" && data.pid === socket.recovery.pid;
    this.granted = data?.exactlyOnce === true;
    if (!this.granted || !recovered) {
      // The server's record did not go on: what was in flight may or may not have been processed.
      const requeued = this.#requeued;
      socket.sendBuffer = socket.sendBuffer.filter((packet) => !requeued.has(packet.id!));
      for (const id of requeued) {
        const ack = acks.get(id);
        acks.delete(id);
        if (ack?.withError) ack.call(socket, new ClientError("NOT_RECOVERED"));
      }
      this.#answers.clear();
      this.#running.clear();
    }
    this.#requeued = new Set();
  }

  #remember(id: number, answer: unknown[]): void {
    const answers = this.#answers;
    answers.set(id, answer);
    if (answers.size > this.#maxAnswers) answers.delete(answers.keys().next().value!);
  }

  /** Drops emits no longer awaited (given up on timeout) once the map has doubled. */
  #prune(): void {
    const acks = this.socket.recovery.acks;
    for (const id of this.#inflight.keys()) if (!acks.has(id)) this.#inflight.delete(id);
    this.#pruneAt = Math.max(this.#maxAnswers, 2 * this.#inflight.size);
  }

  #sortedInflight(): OutPacket[] {
    return [...this.#inflight.values()].sort((a, b) => a.id! - b.id!);
  }
}

/** Whether `value` holds binary (looked at before `toJSON`: a Node Buffer is binary too). */
function hasBinary(value: unknown): boolean {
  let found = false;
  JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const own = this[key];
    if (own instanceof ArrayBuffer || ArrayBuffer.isView(own)) found = true;
    return found ? undefined : v;
  });
  return found;
}
