// The modifiers of a socket's next emit (`volatile`, `compress`, `timeout`) and the broadcasts it starts
// (`to`, `except`, `broadcast`, `local`): flags held until the next emit or broadcast takes them.
import type { Adapter, BroadcastFlags, Room, SocketId } from "./adapter.js";
import { BroadcastOperator } from "./broadcast-operator.js";
import type { Socket } from "./socket.js";
import { SocketEvents } from "./socket-events.js";
import type { DecorateAcknowledgements, EventsMap } from "./typed-events.js";

/** The emit modifiers and broadcast starters of a {@link Socket}. @internal */
export abstract class SocketEmitModifiers<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends SocketEvents<ListenEvents> {
  /** Public id, also the name of the socket's own room: its broadcasts leave it out. */
  abstract readonly id: SocketId;
  /** The adapter its broadcasts go through. */
  abstract get adapter(): Adapter;
  /** Set by the modifiers, taken by the next emit or broadcast; undefined when none is set. */
  private flags: BroadcastFlags | undefined;

  /** Broadcast to `room` (every socket there but this one). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator(room);
  }

  /** Alias of {@link to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Broadcast to everyone but members of `room` (and this socket). */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().except(room);
  }

  /** Broadcast to every other socket of the namespace. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator();
  }

  /** Broadcast to other sockets of this server only (no cluster fan-out). */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().local;
  }

  /** The next emit may be dropped if the client cannot take it now. */
  get volatile(): this {
    this.setFlag("volatile", true);
    return this;
  }

  /** Whether the next emit is compressed. */
  compress(compress: boolean): this {
    this.setFlag("compress", compress);
    return this;
  }

  /** The next emit's acknowledgement gets an error first: a timeout error after `ms` milliseconds. */
  timeout(
    ms: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.setFlag("timeout", ms);
    return this as unknown as Socket<
      ListenEvents,
      DecorateAcknowledgements<EmitEvents>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** The flags set for the next emit, now cleared; undefined when none was set. */
  protected takeFlags(): BroadcastFlags | undefined {
    const flags = this.flags;
    this.flags = undefined;
    return flags;
  }

  /** The `timeout()` set for the next emit, left in place. */
  protected get nextTimeout(): number | undefined {
    return this.flags?.timeout;
  }

  private setFlag<K extends keyof BroadcastFlags>(key: K, value: BroadcastFlags[K]): void {
    if (!this.flags) this.flags = {};
    this.flags[key] = value;
  }

  /** A broadcast leaving this socket out, to `room` when given, with the flags set so far. */
  private newBroadcastOperator(room?: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return BroadcastOperator.excludingSocket(this.adapter, this.id, this.takeFlags(), room);
  }
}
