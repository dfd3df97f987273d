// A tab's Socket on the shared connection: socket.io-client's Socket API (events, emits with acks,
// connect/disconnect, auth) over messages to the hub. Emits stay in an outbox until the hub has handed them
// to the connection, so a hub that dies first gets them again from the tab, through its replacement.
import { defaultTimers, Emitter, type Timers } from "@volley/engine/client";
import { ClientError, type ClientErrorCode } from "../errors.js";
import {
  type Ack,
  type AnyListener,
  type DisconnectReason,
  RESERVED,
  type SocketOptions,
  type SocketReservedEvents,
} from "../socket-api.js";
import type {
  AckResult,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EmitWithAckArgs,
  EventNames,
  EventParams,
  EventsMap,
} from "../typed-events.js";
import type { EmitMessage, HubMessage, TabMessage } from "./messages.js";
import type { SharingMode } from "./tab-manager.js";

/** What a SharedSocket needs from its tab's manager. */
export interface TabPort {
  readonly tab: string;
  /** Where the connection lives: a SharedWorker, a leader tab, or this tab alone. */
  readonly mode: SharingMode;
  /** The absolute URL of the server. */
  readonly url: string;
  /** The Manager options a hub may receive. */
  readonly managerOptions: Record<string, unknown>;
  /** Whether a hub answered (messages sent before are not sent: the socket sends them on `rejoin`). */
  readonly ready: boolean;
  send(msg: TabMessage): void;
  /** An error no caller can receive (a buffered emit the hub could not send). */
  reportError(err: ClientError): void;
  /** Listens for those errors, as a Manager's `error` event. */
  on(event: "error", listener: (err: ClientError) => void): unknown;
}

interface Outgoing {
  msg: EmitMessage;
  ack?: Ack;
  /** The hub handed it to the connection: resent no more, its ack fails on disconnect. */
  taken: boolean;
  timer?: unknown;
}

interface Flags {
  volatile?: boolean;
  compress?: boolean;
  timeout?: number;
}

/** @internal What the tab's manager tells each of its sockets about the hub. */
export interface HubListener {
  onHubJoined(): void;
  onHubLost(): void;
  onHubMessage(msg: HubMessage): void;
}

/**
 * One namespace of the connection the tabs share. Same API as `Socket` but `io` (the tab's manager, not a
 * `Manager`), `retries` (not supported) and `onAnyOutgoing`.
 */
export class SharedSocket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
  >
  extends Emitter<ListenEvents & SocketReservedEvents>
  implements HubListener
{
  /** The namespace, e.g. `"/"`. */
  readonly nsp: string;
  /** The tab's manager (the link to the hub). */
  readonly io: TabPort;
  /** The shared socket's id on the server (the same in every tab), while connected. */
  id: string | undefined;
  connected = false;
  /** Whether the last connection restored the previous session (connection-state recovery). */
  recovered = false;
  /** Sent with the join; the first tab's auth is the one the server sees. */
  auth: SocketOptions["auth"];

  readonly #opts: SocketOptions & { timers?: Timers };
  #active = false;
  /** The hub knows this tab uses the namespace. */
  #joined = false;
  #seq = 0;
  readonly #outbox = new Map<number, Outgoing>();
  #flags: Flags = {};
  #any: AnyListener[] = [];
  /** Recovery: the session and last offset this tab saw, for a hub that replaces a lost one. */
  #pid: string | undefined;
  #offset: string | undefined;

  constructor(
    io: TabPort,
    nsp: string,
    opts: SocketOptions & { autoConnect?: boolean; timers?: Timers } = {},
  ) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.#opts = opts;
    if (opts.autoConnect !== false) this.connect();
  }

  /** `!connected`. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** True while the socket is connected or trying to. */
  get active(): boolean {
    return this.#active;
  }

  /** Joins the namespace on the shared connection. */
  connect(): this {
    if (!this.#active) {
      this.#active = true;
      if (this.io.ready) this.#join();
    }
    return this;
  }

  /** Alias of `connect`. */
  open(): this {
    return this.connect();
  }

  /** Leaves the namespace (the connection stays while other tabs use it). Reason `io client disconnect`. */
  disconnect(): this {
    if (this.#joined) this.io.send({ t: "leave", tab: this.io.tab, nsp: this.nsp });
    // Emits not yet handed over stay, as a Socket's sendBuffer does: sent on the next `connect()`.
    this.#active = this.#joined = false;
    this.#onClose("io client disconnect");
    return this;
  }

  /** Alias of `disconnect`. */
  close(): this {
    return this.disconnect();
  }

  /** Emits a `message` event. */
  send(...args: unknown[]): this {
    return this.#emit("message", args);
  }

  /**
   * Sends an event to the server through the shared connection; a trailing function is the
   * acknowledgement, which comes back to this tab only. Arguments must be structured-cloneable.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    return this.#emit(event, args);
  }

  /** Emits and resolves with the acknowledgement's value (rejects on timeout or disconnect). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: EmitWithAckArgs<EmitEvents, Ev>
  ): Promise<AckResult<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      const ack: Ack = (err: unknown, value: AckResult<EmitEvents, Ev>) =>
        err ? reject(err) : resolve(value);
      ack.withError = true;
      this.#emit(event, [...(args as unknown[]), ack]);
    });
  }

  /** The next emit is dropped instead of buffered when it cannot be sent right now. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /** Whether the next emit may be compressed. Default `true`. */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /** The next emit's acknowledgement gets an error first, `ACK_TIMEOUT` after `ms`. */
  timeout(ms: number): SharedSocket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags.timeout = ms;
    return this as unknown as SharedSocket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** Adds a listener for every incoming event (`listener(event, ...args)`). */
  onAny(listener: AnyListener): this {
    this.#any.push(listener);
    return this;
  }

  /** Adds a listener for every incoming event, called before the others. */
  prependAny(listener: AnyListener): this {
    this.#any.unshift(listener);
    return this;
  }

  /** Removes a catch-all listener; every one without an argument. */
  offAny(listener?: AnyListener): this {
    this.#any = listener ? this.#any.filter((l) => l !== listener) : [];
    return this;
  }

  /** The catch-all listeners, in order. */
  listenersAny(): AnyListener[] {
    return this.#any.slice();
  }

  /** @internal (HubListener) A hub answered (the first, or one replacing a lost one): join it, resend what it lacks. */
  onHubJoined(): void {
    this.#joined = false;
    if (this.#active) this.#join();
  }

  /** @internal (HubListener) The hub died: disconnected until its replacement connects. */
  onHubLost(): void {
    this.#joined = false;
    this.#onClose("transport close");
  }

  /** @internal (HubListener) A message of the hub for this namespace. */
  onHubMessage(msg: HubMessage): void {
    switch (msg.t) {
      case "state":
        if (msg.connected) {
          if (this.connected || !this.#active) return;
          this.id = msg.id;
          this.#pid = msg.pid;
          if (msg.offset !== undefined) this.#offset = msg.offset;
          this.recovered = msg.recovered;
          this.connected = true;
          this.#fire("connect");
        } else {
          // As the Socket: a server's disconnect ends the socket until `connect()`.
          if (msg.reason === "io server disconnect") this.#active = this.#joined = false;
          this.#onClose(msg.reason as DisconnectReason);
        }
        break;
      case "connect_error": {
        // A refusal by the server ends the socket until `connect()`; other failures are retried.
        if (msg.code === "CONNECT_ERROR") this.#active = this.#joined = false;
        const err = new ClientError((msg.code ?? "CONNECT_ERROR") as ClientErrorCode, msg.message, msg.data);
        this.#fire("connect_error", err);
        break;
      }
      case "event": {
        if (!this.#active) return;
        if (msg.offset !== undefined) this.#offset = msg.offset;
        const args = msg.args;
        if (msg.ack !== undefined) {
          const id = msg.ack;
          let sent = false;
          args.push((...answer: unknown[]) => {
            if (!sent) this.io.send({ t: "answer", tab: this.io.tab, nsp: this.nsp, id, args: answer });
            sent = true;
          });
        }
        for (const listener of this.#any.slice()) listener.apply(this, args as [string]);
        this.#fire(...(args as [string]));
        break;
      }
      case "took": {
        const out = this.#outbox.get(msg.seq);
        if (!out) return;
        if (msg.error) {
          const { code, message, data } = msg.error;
          const err = new ClientError(code as ClientErrorCode, message, data);
          this.#forget(msg.seq);
          if (out.ack?.withError) out.ack.call(this, err);
          else this.io.reportError(err);
        } else if (out.ack) out.taken = true;
        else this.#forget(msg.seq);
        break;
      }
      case "ack": {
        const out = this.#outbox.get(msg.seq);
        if (!out?.ack) return;
        this.#forget(msg.seq);
        const args = msg.args;
        if (out.ack.withError) args.unshift(null);
        out.ack.apply(this, args);
        break;
      }
    }
  }

  #join(): void {
    const join = (auth?: Record<string, unknown>) => {
      if (!this.#active || this.#joined || !this.io.ready) return;
      const { tab, url, managerOptions } = this.io;
      this.io.send({
        t: "join",
        tab,
        nsp: this.nsp,
        url,
        opts: managerOptions,
        auth,
        pid: this.#pid,
        offset: this.#offset,
      });
      this.#joined = true;
      for (const out of this.#outbox.values()) if (!out.taken) this.io.send(out.msg);
    };
    const auth = this.auth;
    if (typeof auth === "function") auth(join);
    else join(auth);
  }

  #emit(event: string, args: unknown[]): this {
    if (RESERVED.test(event)) throw new ClientError("RESERVED_EVENT", undefined, event);
    const flags = this.#flags;
    this.#flags = {};
    args = args.slice();
    const ack = typeof args.at(-1) === "function" ? (args.pop() as Ack) : undefined;
    const volatile = !!flags.volatile;
    const seq = this.#seq++;
    const msg: EmitMessage = {
      t: "emit",
      tab: this.io.tab,
      nsp: this.nsp,
      seq,
      args: [event, ...args],
      ack: !!ack,
      volatile,
      compress: flags.compress !== false,
    };
    // Volatile: sent only when connected right now, and never again.
    if (volatile && !(this.connected && this.#joined)) return this;
    if (!volatile || ack) this.#outbox.set(seq, { msg, ack, taken: volatile });
    const timeout = flags.timeout ?? this.#opts.ackTimeout;
    if (ack && timeout !== undefined) {
      const timers = this.#opts.timers ?? defaultTimers;
      this.#outbox.get(seq)!.timer = timers.setTimeout(() => this.#fail(seq, "ACK_TIMEOUT"), timeout);
    }
    if (this.#joined) {
      try {
        this.io.send(msg);
      } catch (err) {
        this.#forget(seq); // not cloneable: nothing was sent
        throw err;
      }
    }
    return this;
  }

  /** Drops an emit from the outbox and stops its timer. */
  #forget(seq: number): void {
    const out = this.#outbox.get(seq);
    if (out?.timer !== undefined) (this.#opts.timers ?? defaultTimers).clearTimeout(out.timer);
    this.#outbox.delete(seq);
  }

  /** Fails an emit's acknowledgement (when it takes an error) and forgets the emit. */
  #fail(seq: number, code: "ACK_TIMEOUT" | "DISCONNECTED"): void {
    const out = this.#outbox.get(seq);
    this.#forget(seq);
    if (out?.ack?.withError)
      out.ack.call(
        this,
        new ClientError(
          code,
          code === "ACK_TIMEOUT" ? "operation has timed out" : "socket has been disconnected",
        ),
      );
  }

  #onClose(reason: DisconnectReason): void {
    // Acks of emits already handed to the connection can no longer arrive.
    for (const [seq, out] of this.#outbox) if (out.taken) this.#fail(seq, "DISCONNECTED");
    if (!this.connected) return;
    this.connected = false;
    this.id = undefined;
    this.#fire("disconnect", reason);
  }

  /** `emitReserved` for any event name. */
  #fire = this._emit as unknown as (event: string, ...args: unknown[]) => void;
}
