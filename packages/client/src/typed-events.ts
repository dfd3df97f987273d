// Compile-time event maps, as in socket.io-client: `Socket<ListenEvents, EmitEvents>` makes a wrong
// event name or payload type a type error.
// biome-ignore-all lint/suspicious/noExplicitAny: event maps are open by design.

/** An event map: name → listener signature. Interfaces qualify. */
export type EventsMap = { [event: string]: any };

/** The map used when none is given: any name, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & string;

export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev] extends (
  ...args: infer P
) => any
  ? P
  : never;

/** The parameters of event `Ev` when the map names it, else `never` (`send()` needs a `message` event). */
export type EventParamsOrAny<Map extends EventsMap, Ev extends string> =
  Ev extends EventNames<Map> ? EventParams<Map, Ev> : never;

type Last<T extends any[]> = T extends [...infer _Head, infer L] ? L : any;
type AllButLast<T extends any[]> = T extends [...infer Head, infer _L] ? Head : any[];
/** The value an acknowledgement carries: its first argument, or its second after an `Error` (`timeout()`). */
type AckValue<T> = T extends (...args: infer P) => any ? (P[0] extends Error ? P[1] : P[0]) : any;

/** Arguments of `emitWithAck`: the event's parameters without the trailing acknowledgement. */
export type EmitWithAckArgs<Map extends EventsMap, Ev extends EventNames<Map>> = AllButLast<
  EventParams<Map, Ev>
>;

/**
 * What `emitWithAck` resolves to: the acknowledgement's value (its first argument; after `timeout()`,
 * which puts an `Error` first, the argument after it).
 */
export type AckResult<Map extends EventsMap, Ev extends EventNames<Map>> = AckValue<
  Last<EventParams<Map, Ev>>
>;

type DecorateAck<P extends any[]> = P extends [...infer Head, infer L]
  ? L extends (...args: infer A) => infer R
    ? [...Head, (err: Error, ...args: A) => R]
    : P
  : P;

/** After `timeout()`, acknowledgements receive an error (or null) first. */
export type DecorateAcknowledgements<Map extends EventsMap> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer P) => infer R ? (...args: DecorateAck<P>) => R : Map[Ev];
};
