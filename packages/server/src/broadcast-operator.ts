import { type Packet, PacketType } from "@volley/protocol";
import type { Adapter, BroadcastFlags, Room, SocketDetails } from "./adapter.js";
import { RESERVED_EVENTS } from "./disconnect-reason.js";
import type { Handshake } from "./handshake.js";
import type {
  AckResult,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventParamsWithoutAck,
  EventsMap,
  UntypedEventNames,
} from "./typed-events.js";

// biome-ignore lint/suspicious/noExplicitAny: ack callbacks take anything
type AnyFn = (...args: any[]) => void;

function toRooms(room: Room | Room[]): Room[] {
  return Array.isArray(room) ? room : [room];
}

/**
 * The empty room set every operator without rooms or exceptions shares: `io.to(room)` would otherwise
 * allocate one per call. Never changed: operators copy before adding, adapters only read their options.
 */
const NO_ROOMS: Set<Room> = new Set();
/** The flags of an operator without any, shared for the same reason (flags are copied before changing). */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

/** `base` plus `room` as a new Set; `base` may be {@link NO_ROOMS} (a one-room set then costs no copy). */
function withRooms(base: ReadonlySet<Room>, room: Room | Room[]): Set<Room> {
  const rooms = base.size === 0 ? new Set<Room>() : new Set(base);
  if (Array.isArray(room)) for (const r of room) rooms.add(r);
  else rooms.add(room);
  return rooms;
}

/**
 * What a broadcast may emit. Acknowledgements from many clients need a deadline: before `timeout()`
 * (`Timed` false) events with an acknowledgement are refused by the compiler (typed maps only); after
 * it, their callback is required and gets `(err, responses[])`.
 */
export type BroadcastEventNames<EmitEvents extends EventsMap, Timed extends boolean> = Timed extends true
  ? EventNames<EmitEvents>
  : EventNamesWithoutAck<EmitEvents> & EventNames<EmitEvents>;

/** What `emitWithAck` of a broadcast accepts: acknowledged events after `timeout()`, untyped ones before. */
export type BroadcastAckEventNames<EmitEvents extends EventsMap, Timed extends boolean> = Timed extends true
  ? EventNamesWithAck<EmitEvents> & EventNames<EmitEvents>
  : UntypedEventNames<EmitEvents> & EventNames<EmitEvents>;

/** The operator `timeout()` returns: the acknowledgements decorated once, whatever the chain. */
export type TimedBroadcastOperator<
  EmitEvents extends EventsMap,
  SocketData,
  Timed extends boolean,
> = Timed extends true
  ? BroadcastOperator<EmitEvents, SocketData, true>
  : BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData, true>;

/**
 * An immutable broadcast target: rooms, exceptions and flags. `io.to("a").except("b").emit(...)`
 * builds one per step; the adapter encodes the packet once for all recipients. `Timed` (type only)
 * records whether `timeout()` was called: see {@link BroadcastEventNames}. Steps share what they do
 * not change (the empty sets and flags included), so `io.to(room).emit(...)` costs one operator and one
 * one-room Set.
 */
export class BroadcastOperator<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
  Timed extends boolean = false,
> {
  constructor(
    private readonly adapter: Adapter,
    private readonly rooms: Set<Room> = NO_ROOMS,
    private readonly exceptRooms: Set<Room> = NO_ROOMS,
    private readonly flags: BroadcastFlags = NO_FLAGS,
  ) {}

  /** @internal An operator targeting `room` alone: what `io.to(room)` returns, without an empty operator first. */
  static forRooms<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown>(
    adapter: Adapter,
    room: Room | Room[],
  ): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(adapter, withRooms(NO_ROOMS, room));
  }

  /**
   * @internal What a socket's `to(room)`, `except`, `broadcast` and `local` start from: every socket (or
   * those in `room`) but `socketId`, with the socket's pending flags; one operator, no copies.
   */
  static excludingSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown>(
    adapter: Adapter,
    socketId: Room,
    flags: BroadcastFlags | undefined,
    room?: Room | Room[],
  ): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(
      adapter,
      room === undefined ? NO_ROOMS : withRooms(NO_ROOMS, room),
      new Set([socketId]),
      flags ?? NO_FLAGS,
    );
  }

  /** Targets members of `room` (added to the rooms already targeted). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return new BroadcastOperator(this.adapter, withRooms(this.rooms, room), this.exceptRooms, this.flags);
  }

  /** Alias of {@link to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return this.to(room);
  }

  /** Excludes members of `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return new BroadcastOperator(this.adapter, this.rooms, withRooms(this.exceptRooms, room), this.flags);
  }

  private withFlags(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return new BroadcastOperator(this.adapter, this.rooms, this.exceptRooms, { ...this.flags, ...flags });
  }

  /** Whether to compress the packet. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return this.withFlags({ compress });
  }

  /** Drop the packet for clients that cannot take a write right now (slow, or a write in flight). */
  get volatile(): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return this.withFlags({ volatile: true });
  }

  /** Only this server's sockets. */
  get local(): BroadcastOperator<EmitEvents, SocketData, Timed> {
    return this.withFlags({ local: true });
  }

  /** Acknowledgements are awaited at most `ms` milliseconds; the callback gets `(err, responses)`. */
  timeout(ms: number): TimedBroadcastOperator<EmitEvents, SocketData, Timed> {
    return this.withFlags({ timeout: ms }) as unknown as TimedBroadcastOperator<
      EmitEvents,
      SocketData,
      Timed
    >;
  }

  /**
   * Emits to every matching socket. With a function as last argument, collects one
   * acknowledgement per socket: `(null, responses)` when all arrived, or
   * `(Error("operation has timed out"), responsesSoFar)` after `timeout()`.
   * @throws Error when `ev` is a reserved event name.
   */
  emit<Ev extends BroadcastEventNames<EmitEvents, Timed>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const data: unknown[] = [ev];
    for (let i = 0; i < args.length; i++) data.push(args[i]);
    const packet: Packet = { type: PacketType.EVENT, nsp: "/", data };
    const last = data[data.length - 1];
    if (typeof last !== "function") {
      this.adapter.broadcast(packet, { rooms: this.rooms, except: this.exceptRooms, flags: this.flags });
      return true;
    }
    data.pop();
    this.emitWithAcks(packet, last as AnyFn);
    return true;
  }

  private emitWithAcks(packet: Packet, ack: AnyFn): void {
    const single = this.flags.expectSingleResponse === true;
    const responses: unknown[] = [];
    let done = false;
    let expectedServers = -1;
    let reportedServers = 0;
    let expectedClients = 0;
    // The server's clock (the engine's `clock` option), so acknowledgement deadlines run on test clocks.
    const clock = this.adapter.nsp.server._clock;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      ack(err, single ? responses[0] : responses);
    };
    const check = () => {
      if (!done && expectedServers === reportedServers && responses.length === expectedClients) finish(null);
    };
    const timer =
      this.flags.timeout === undefined
        ? undefined
        : clock.setTimeout(
            (err: Error) => {
              if (!done) this.adapter.nsp.server._counters.acksTimedOut += expectedClients - responses.length;
              finish(err);
            },
            this.flags.timeout,
            new Error("operation has timed out"),
          );
    this.adapter.broadcastWithAck(
      packet,
      { rooms: this.rooms, except: this.exceptRooms, flags: this.flags },
      (clientCount) => {
        expectedClients += clientCount;
        reportedServers++;
        check();
      },
      (response) => {
        responses.push(response);
        check();
      },
    );
    this.adapter.serverCount().then(
      (count) => {
        expectedServers = count;
        check();
      },
      (err: Error) => finish(err),
    );
  }

  /**
   * Emits and resolves with the responses (one per socket reached); rejects with the timeout error,
   * whose `responses` holds those that arrived. Typed maps need `timeout()` first.
   */
  emitWithAck<Ev extends BroadcastAckEventNames<EmitEvents, Timed>>(
    ev: Ev,
    ...args: EventParamsWithoutAck<EmitEvents, Ev>
  ): Promise<AckResult<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      // On timeout the error carries what did come back, as `err.responses`.
      const ack = (err: Error | null, responses: AckResult<EmitEvents, Ev>) =>
        err ? reject(Object.assign(err, { responses })) : resolve(responses);
      (this.emit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args, ack);
    });
  }

  /** Ids of the matching sockets. */
  allSockets(): Promise<Set<string>> {
    return this.adapter.sockets(this.rooms);
  }

  /** Matching sockets of every server: local `Socket`s, or `RemoteSocket`s from other servers. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const sockets = await this.adapter.fetchSockets({
      rooms: this.rooms,
      except: this.exceptRooms,
      flags: this.flags,
    });
    return sockets.map((socket) =>
      "client" in socket
        ? (socket as unknown as RemoteSocket<EmitEvents, SocketData>)
        : new RemoteSocket<EmitEvents, SocketData>(this.adapter, socket as SocketDetails<SocketData>),
    );
  }

  /** Makes the matching sockets join `room`. */
  socketsJoin(room: Room | Room[]): void {
    this.adapter.addSockets(
      { rooms: this.rooms, except: this.exceptRooms, flags: this.flags },
      toRooms(room),
    );
  }

  /** Makes the matching sockets leave `room`. */
  socketsLeave(room: Room | Room[]): void {
    this.adapter.delSockets(
      { rooms: this.rooms, except: this.exceptRooms, flags: this.flags },
      toRooms(room),
    );
  }

  /** Disconnects the matching sockets; `close` also closes their connections. */
  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets({ rooms: this.rooms, except: this.exceptRooms, flags: this.flags }, close);
  }
}

/** A socket returned by `fetchSockets`, possibly living on another server. */
// biome-ignore lint/suspicious/noExplicitAny: socket.io's default
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  readonly id: string;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  private readonly operator: BroadcastOperator<EmitEvents, SocketData>;

  constructor(adapter: Adapter, details: SocketDetails<SocketData>) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data;
    this.operator = new BroadcastOperator<EmitEvents, SocketData>(adapter, new Set([this.id]), NO_ROOMS, {
      expectSingleResponse: true,
    });
  }

  /** Emits to this one socket; a function as last argument gets its acknowledgement. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return (this.operator.emit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args);
  }

  /** Acknowledgement deadline for the next emit. */
  timeout(
    ms: number,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData, true> {
    return this.operator.timeout(ms);
  }

  join(room: Room | Room[]): void {
    this.operator.socketsJoin(room);
  }

  leave(room: Room | Room[]): void {
    this.operator.socketsLeave(room);
  }

  disconnect(close = false): this {
    this.operator.disconnectSockets(close);
    return this;
  }
}
