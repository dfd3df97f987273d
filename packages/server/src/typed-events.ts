// Type-level event maps, so `socket.emit("chat", 1)` fails to compile where `chat` takes a string.
import { EventEmitter } from "node:events";
import { captureRejectionsByDefault, LazyEventEmitter } from "@volley/engine";

/** A map of event names to listener signatures. */
// biome-ignore lint/suspicious/noExplicitAny: listener signatures are arbitrary by design
export type EventsMap = Record<string, any>;

/** The map used when none is given: any event, any arguments. */
export interface DefaultEventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: the untyped default, as socket.io's
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & string;

export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev] extends (
  // biome-ignore lint/suspicious/noExplicitAny: any listener signature
  ...args: any[]
  // biome-ignore lint/suspicious/noExplicitAny: any listener signature
) => any
  ? Parameters<Map[Ev]>
  : never;

// biome-ignore lint/suspicious/noExplicitAny: conditional type helper
type Fn = (...args: any[]) => any;

// `any[]` (the default maps) is not a tuple: it has no "last" element to split off, so every
// argument is accepted and the acknowledgement is `any`, as with socket.io's `DefaultEventsMap`.
type IsOpenArray<T extends unknown[]> = number extends T["length"] ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;

export type Last<T extends unknown[]> =
  IsOpenArray<T> extends true ? T[number] : T extends [...unknown[], infer L] ? L : never;
export type AllButLast<T extends unknown[]> =
  IsOpenArray<T> extends true ? T : T extends [...infer H, unknown] ? H : never;
// biome-ignore lint/suspicious/noExplicitAny: matches any function
export type FirstArg<T> = T extends (...args: infer P) => any
  ? P extends [infer A, ...unknown[]]
    ? A
    : unknown
  : unknown;

// Whether an event's listener ends with an acknowledgement callback: "ack", "none", or "any" for the
// untyped default maps (anything goes there, as with socket.io's DefaultEventsMap).
type AckKind<F> =
  IsAny<F> extends true
    ? "any"
    : F extends (...args: infer P) => unknown
      ? IsOpenArray<P> extends true
        ? "any"
        : P extends [...unknown[], infer L]
          ? IsAny<L> extends true
            ? "any"
            : L extends Fn
              ? "ack"
              : "none"
          : "none"
      : "any";

/** Events whose listener takes no acknowledgement callback (all events of an untyped map). */
export type EventNamesWithoutAck<Map extends EventsMap> = {
  [K in EventNames<Map>]: AckKind<Map[K]> extends "ack" ? never : K;
}[EventNames<Map>];

/** Events whose listener ends with an acknowledgement callback (all events of an untyped map). */
export type EventNamesWithAck<Map extends EventsMap> = {
  [K in EventNames<Map>]: AckKind<Map[K]> extends "none" ? never : K;
}[EventNames<Map>];

/** Events of an untyped map only: a typed map gives `never`. */
export type UntypedEventNames<Map extends EventsMap> = {
  [K in EventNames<Map>]: AckKind<Map[K]> extends "any" ? K : never;
}[EventNames<Map>];

/** Arguments of an event without its trailing acknowledgement callback. */
export type EventParamsWithoutAck<Map extends EventsMap, Ev extends EventNames<Map>> = AllButLast<
  EventParams<Map, Ev>
>;

/** What `emitWithAck` resolves to: the first argument of the event's acknowledgement callback. */
export type AckResult<Map extends EventsMap, Ev extends EventNames<Map>> = AckValue<
  Last<EventParams<Map, Ev>>
>;

// After `timeout()` an acknowledgement is `(err, value)`: the value is what a promise resolves to.
type AckValue<F> =
  IsAny<F> extends true
    ? // biome-ignore lint/suspicious/noExplicitAny: untyped events resolve to anything, as socket.io's
      any
    : // biome-ignore lint/suspicious/noExplicitAny: matches any function
      F extends (...args: infer P) => any
      ? P extends [Error | null, infer R, ...unknown[]]
        ? R
        : FirstArg<F>
      : unknown;

type PrependTimeoutError<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R ? (err: Error | null, ...args: P) => R : T[K];
};

type MultipleResponses<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (arg: infer A) => infer R ? (err: Error | null, responses: A[]) => R : T[K];
};

/** With `timeout()`, a socket's acknowledgement callbacks receive an error first. */
export type DecorateAcknowledgements<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R ? (...args: PrependTimeoutError<P>) => R : E[K];
};

/** A broadcast's acknowledgement callback receives an error and the list of responses. */
export type DecorateAcknowledgementsWithMultipleResponses<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R ? (...args: MultipleResponses<P>) => R : E[K];
};

/** Listener type for an event of either the user map or the reserved (library-emitted) map. */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string> =
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : Fn;

/**
 * EventEmitter with typed `on/once/off`; listeners are typed by the incoming event map plus the
 * reserved events the library emits itself (`connection`, `disconnect`, …).
 */
export class StrictEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> extends LazyEventEmitter {
  constructor() {
    // No listener table until the first listener: sockets are counted in tens of thousands.
    super();
    if (!capturesByPrototype) initEmitter.call(this, { captureRejections: true });
  }

  /** Where rejected promises of async listeners go; subclasses report them. */
  protected onListenerRejection(err: unknown): void {
    process.emitWarning(
      `volley: unhandled rejection in a listener: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  }

  override [EventEmitter.captureRejectionSymbol](err: unknown): void {
    this.onListenerRejection(err);
  }

  override on<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(ev, listener);
  }

  override once<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(ev, listener);
  }

  override off<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.off(ev, listener);
  }

  /** Emits a library event locally (never sent over the wire). */
  emitReserved<Ev extends EventNames<ReservedEvents>>(
    ev: Ev,
    ...args: Parameters<ReservedEvents[Ev]>
  ): boolean {
    return super.emit(ev, ...args);
  }
}

// An async listener that rejects must not become an unhandled rejection (which ends the process):
// captureRejections for every instance, set once on the prototype; where this Node keeps it elsewhere,
// each instance gets Node's own initialisation (and its listener table) instead.
const capturesByPrototype = captureRejectionsByDefault(StrictEventEmitter);
const initEmitter = (EventEmitter as unknown as { init: (this: EventEmitter, opts: object) => void }).init;
