import { Emitter, subscribe } from "@volley/engine/client";
import type { Packet } from "@volley/protocol";
import type { EmitFlags, QueuedEmit } from "./emit-flags.js";
import { ClientError, type DisconnectDescription } from "./errors.js";
import type { Manager, ManagerReservedEvents } from "./manager.js";
import type { OutPacket } from "./packet-hook.js";
import { ACK, BINARY_ACK, BINARY_EVENT, CONNECT, CONNECT_ERROR, DISCONNECT, EVENT } from "./packet-type.js";
import { offsetAfter, type RecoveryState } from "./recovery-state.js";
import {
  type Ack,
  type AnyListener,
  type DisconnectReason,
  RESERVED,
  type SocketOptions,
  type SocketReservedEvents,
} from "./socket-api.js";
import type {
  AckResult,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EmitWithAckArgs,
  EventNames,
  EventParams,
  EventParamsOrAny,
  EventsMap,
} from "./typed-events.js";

/**
 * One namespace on a Manager's connection, as socket.io-client's `Socket`.
 * Typed: `Socket<ListenEvents, EmitEvents>` checks event names and payloads at compile time.
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ListenEvents & SocketReservedEvents> {
  // Fields without an initializer are `declare`d: set in the constructor or later, they need no class
  // field definition (bytes in the browser bundle, whose size is budgeted).
  /** The Manager (the connection). */
  declare readonly io: Manager<ListenEvents, EmitEvents>;
  /** The namespace, e.g. `"/"` or `"/admin"`. */
  declare readonly nsp: string;
  /** The session id on this namespace, while connected. */
  declare id: string | undefined;
  connected = false;
  /** Whether the last connection restored the previous session (connection-state recovery). */
  recovered = false;
  /** Sent with each CONNECT packet. */
  declare auth: SocketOptions["auth"];
  /** Events received before `connect`, delivered right after it. */
  receiveBuffer: unknown[][] = [];
  /** Packets emitted while disconnected, sent on (re)connect. */
  sendBuffer: OutPacket[] = [];

  /** Acknowledgements awaited, by id: `recovery.acks`, by a name the browser bundle shortens. */
  readonly #acks = new Map<number, Ack>();
  /**
   * @internal The session as connection-state recovery resumes it, and the acknowledgements awaited: the
   * add-ons' seam (`@volley/client/exactly-once`, the shared connection's hub), not for applications.
   */
  readonly recovery: RecoveryState = { nextId: 0, acks: this.#acks };
  readonly #opts: SocketOptions;
  /** Unsubscribes from the Manager; set while active. */
  #unsub: (() => void) | undefined;
  #flags: EmitFlags = {};
  #queue: QueuedEmit[] = [];
  #any: AnyListener[] = [];
  #anyOut: AnyListener[] = [];

  constructor(io: Manager, nsp: string, opts: SocketOptions = {}) {
    super();
    this.io = io as unknown as Manager<ListenEvents, EmitEvents>;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.#opts = opts;
    if (io._autoConnect) this.open();
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** True while the Socket is connected or trying to (it listens to its Manager). */
  get active(): boolean {
    return !!this.#unsub;
  }

  /** Connects (or reconnects) to the namespace. */
  connect(): this {
    if (!this.connected) {
      const io = this.io as unknown as Manager;
      this.#unsub ??= subscribe<ManagerReservedEvents>(io, {
        open: () => this.#onOpen(),
        packet: (packet) => this.#onPacket(packet),
        error: (err) => this.connected || this.#fire("connect_error", err),
        close: (reason, description) => this.#onClose(reason as DisconnectReason, description),
      });
      if (!io._reconnecting) io.open();
      if (io._readyState === "open") this.#onOpen();
    }
    return this;
  }

  /** Alias of `connect`. */
  open(): this {
    return this.connect();
  }

  /** Leaves the namespace; closes the connection once no namespace uses it. Reason `io client disconnect`. */
  disconnect(): this {
    if (this.connected) this.#packet({ type: DISCONNECT });
    this.#destroy();
    if (this.connected) this.#onClose("io client disconnect");
    return this;
  }

  /** Alias of `disconnect`. */
  close(): this {
    return this.disconnect();
  }

  /** Emits a `message` event. */
  send(...args: EventParamsOrAny<EmitEvents, "message">): this {
    return this.#emit("message", args);
  }

  /**
   * Sends an event to the server. A trailing function is the acknowledgement callback.
   * Buffered while disconnected (unless `volatile`); names of reserved events throw `RESERVED_EVENT`.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    return this.#emit(event, args);
  }

  /**
   * Emits and resolves with the acknowledgement's value. Rejects when it cannot arrive: on timeout (when one
   * is set), when the socket disconnects first, or when the emit is too large (as socket.io-client does).
   */
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
    this.#flags._volatile = true;
    return this;
  }

  /** Whether the next emit may be compressed. Default `true`. */
  compress(compress: boolean): this {
    this.#flags._compress = compress;
    return this;
  }

  /** The next emit's acknowledgement gets an error first, `ACK_TIMEOUT` after `ms`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags._timeout = ms;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** Adds a listener for every incoming event (`listener(event, ...args)`). */
  onAny(listener: AnyListener): this {
    this.#any.push(listener);
    return this;
  }

  prependAny(listener: AnyListener): this {
    this.#any.unshift(listener);
    return this;
  }

  offAny(listener?: AnyListener): this {
    this.#any = listener ? this.#any.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.#any.slice();
  }

  /** Adds a listener for every outgoing event, called when the packet is actually sent. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOut.push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOut.unshift(listener);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOut = listener ? this.#anyOut.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOut.slice();
  }

  // --- sending ---------------------------------------------------------------------------------------

  #emit(event: string, args: unknown[]): this {
    if (RESERVED.test(event)) throw new ClientError("RESERVED_EVENT", undefined, event);
    const flags = this.#flags;
    const opts = this.#opts;
    this.#flags = {};
    args = [event, ...args];
    // As socket.io-client: `retries: 0` is no queue at all.
    if (opts.retries && !flags._fromQueue && !flags._volatile) {
      // At-least-once: one queued emit in flight at a time, resent until acknowledged or out of retries.
      const ack = typeof args.at(-1) === "function" ? (args.pop() as Ack) : undefined;
      const entry: QueuedEmit = {
        _tries: 0,
        _pending: false,
        _args: args,
        _flags: { ...flags, _fromQueue: true },
      };
      const onAck: Ack = (err: Error | null, ...response: unknown[]) => {
        if (entry !== this.#queue[0]) return; // a late answer to an attempt already given up
        // Too large is final: resending would fail the same way.
        if (!err || entry._tries > opts.retries! || (err as ClientError).code === "PAYLOAD_TOO_LARGE") {
          this.#queue.shift();
          ack?.(err, ...response);
        }
        entry._pending = false;
        this.#drainQueue();
      };
      onAck.withError = true;
      args.push(onAck);
      this.#queue.push(entry);
      this.#drainQueue();
      return this;
    }
    const packet: OutPacket = {
      type: EVENT,
      nsp: this.nsp,
      data: args,
      options: { compress: flags._compress !== false },
    };
    if (typeof args.at(-1) === "function") {
      flags._id ??= this.recovery.nextId++;
      const id = flags._id;
      let ack = args.pop() as Ack;
      const timeout = flags._timeout ?? opts.ackTimeout;
      if (timeout !== undefined) {
        const timers = this.io.opts.timers;
        const late = ack;
        const timer = timers.setTimeout(() => {
          this.#acks.delete(id);
          this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
          late.call(this, new ClientError("ACK_TIMEOUT", "operation has timed out"));
        }, timeout);
        ack = (...answer: unknown[]) => {
          timers.clearTimeout(timer);
          late.apply(this, answer);
        };
        ack.withError = true;
      }
      this.#acks.set(id, ack);
      packet.id = id;
    }
    const engine = this.io.engine;
    const connected = this.connected && engine && !engine.hasPingExpired();
    if (connected) {
      if (!flags._volatile || engine.writable) this.#send(packet);
    } else if (!flags._volatile) this.sendBuffer.push(packet); // volatile: never buffered
    return this;
  }

  #drainQueue(force?: boolean): void {
    const entry = this.#queue[0];
    if (this.connected && entry && (!entry._pending || force)) {
      entry._pending = true;
      entry._tries++;
      this.#flags = entry._flags;
      this.#emit(entry._args[0] as string, entry._args.slice(1));
    }
  }

  #packet(packet: Partial<OutPacket>): ClientError | undefined {
    packet.nsp = this.nsp;
    return this.io.write(packet as OutPacket);
  }

  /**
   * Sends an EVENT, then tells the onAnyOutgoing listeners. One larger than the server's `maxPayload` is
   * not sent: an acknowledgement that takes an error gets `PAYLOAD_TOO_LARGE`; otherwise `emit()` throws
   * it, or for a packet flushed from `sendBuffer` (no caller to throw to) the Manager emits it as `error`.
   */
  #send(packet: OutPacket, flushed?: boolean): void {
    const err = this.#packet(packet);
    if (err) {
      const id = packet.id!;
      const ack = this.#acks.get(id);
      this.#acks.delete(id);
      if (ack?.withError) ack.call(this, err);
      else if (flushed) this.io.emitReserved("error", err);
      else throw err;
    } else for (const listener of this.#anyOut.slice()) listener.apply(this, packet.data as [string]);
  }

  // --- receiving -------------------------------------------------------------------------------------

  #onOpen(): void {
    const auth = this.auth;
    // Recovery: tell the server which session we had and the last event we saw.
    const connect = (data?: Record<string, unknown>) =>
      this.#packet({
        type: CONNECT,
        data: this.recovery.pid ? { pid: this.recovery.pid, offset: this.recovery.offset, ...data } : data,
      });
    if (typeof auth === "function") auth(connect);
    else connect(auth);
  }

  #onPacket(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    const { type, id } = packet;
    // biome-ignore lint/suspicious/noExplicitAny: payloads are checked where they are used.
    const data = packet.data as any;
    // A custom parser may not check payloads: EVENT and ACK arguments are an array, whatever arrives.
    const args: unknown[] = Array.isArray(data) ? data.slice() : [];
    if (type === CONNECT) {
      if (typeof data?.sid === "string")
        this.#onConnect(data.sid, typeof data.pid === "string" ? data.pid : undefined);
      else this.#fire("connect_error", new ClientError("PROTOCOL_MISMATCH"));
    } else if (type === EVENT || type === BINARY_EVENT) {
      if (id !== undefined) {
        let sent = false;
        // An acknowledgement for the server's emit: one ACK, at most once.
        args.push((...answer: unknown[]) => {
          if (!sent) this.#packet({ type: ACK, id, data: answer });
          sent = true;
        });
      }
      if (this.connected) this.#onEvent(args);
      else this.receiveBuffer.push(args);
    } else if (type === ACK || type === BINARY_ACK) {
      const ack = this.#acks.get(id!);
      if (ack) {
        this.#acks.delete(id!);
        if (ack.withError) args.unshift(null);
        ack.apply(this, args);
      }
    } else if (type === DISCONNECT) {
      this.#destroy();
      this.#onClose("io server disconnect");
    } else if (type === CONNECT_ERROR) {
      this.#destroy();
      this.#fire(
        "connect_error",
        new ClientError("CONNECT_ERROR", data?.message ?? "connection refused", data?.data),
      );
    }
  }

  #onEvent(args: unknown[]): void {
    for (const listener of this.#any.slice()) listener.apply(this, args as [string]);
    this.#fire(...(args as [string]));
    this.recovery.offset = offsetAfter(this.recovery, args);
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.recovery.pid === pid;
    this.recovery.pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer) this.#onEvent(args);
    this.receiveBuffer = [];
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) this.#send(packet, true);
    // The retry queue moves before `connect` listeners run, as with socket.io-client.
    this.#drainQueue(true);
    this.#fire("connect");
  }

  #onClose(reason: DisconnectReason, description?: DisconnectDescription): void {
    this.connected = false;
    this.id = undefined;
    this.#fire("disconnect", reason, description);
    // Acks of packets already sent can no longer arrive: fail them now rather than never.
    for (const [id, ack] of this.#acks) {
      if (this.sendBuffer.some((p) => p.id === id)) continue;
      this.#acks.delete(id);
      if (ack.withError) ack.call(this, new ClientError("DISCONNECTED", "socket has been disconnected"));
    }
  }

  #destroy(): void {
    this.#unsub?.();
    this.#unsub = undefined;
    (this.io as unknown as Manager)._destroy();
  }

  /** `emitReserved` for any event name: reserved events and the server's, typed by no map. */
  #fire = this._emit as unknown as (event: string, ...args: unknown[]) => void;
}
