// A tiny isomorphic event emitter (no node:events, so it reaches the browser bundle as is), shared by the
// engine client and the Socket.IO client. `emitReserved` is the local dispatch; subclasses keep `emit` free
// for sending to a peer, as socket.io does.

// biome-ignore lint/suspicious/noExplicitAny: listener parameters are typed by each event map.
export type Listener = (...args: any[]) => void;

/** An event map: event name → listener signature (`any` so interfaces qualify, as in socket.io). */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type EventsMap = { [event: string]: any };

/** The parameters of a listener type (never for non-functions). */
export type ListenerParams<F> = F extends (...args: infer P) => unknown ? P : never;

type Wrapped = Listener & { listener?: Listener };

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below adds aliases assigned on the prototype.
export class Emitter<Events extends EventsMap> {
  // Copy-on-write lists: a dispatch iterates the list it started with, whatever listeners do meanwhile.
  #l = new Map<string, Wrapped[]>();

  /** Adds `listener` for `event`. */
  on<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.#l.set(event, [...(this.#l.get(event) ?? []), listener]);
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    const wrapper: Wrapped = (...args) => {
      this.off(event, wrapper as Events[E]);
      (listener as Listener).apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper as Events[E]);
  }

  /** Removes `listener` for `event`; every listener of `event` without one; every listener without both. */
  off<E extends keyof Events & string>(event?: E, listener?: Events[E]): this {
    const map = this.#l;
    if (event === undefined) map.clear();
    else {
      const list = map.get(event) ?? [];
      // Only the first match goes, as with node's EventEmitter.
      const i = list.findIndex((l) => l === listener || l.listener === listener);
      const rest = list.filter((_, j) => j !== i);
      if (listener && rest.length > 0) map.set(event, rest);
      else map.delete(event);
    }
    return this;
  }

  /** Same as `off()` without a listener. */
  removeAllListeners<E extends keyof Events & string>(event?: E): this {
    return this.off(event);
  }

  /** The listeners of `event`, in order. */
  listeners<E extends keyof Events & string>(event: E): Events[E][] {
    return (this.#l.get(event) ?? []).map((l) => l.listener ?? l) as Events[E][];
  }

  hasListeners<E extends keyof Events & string>(event: E): boolean {
    return this.#l.has(event);
  }

  /**
   * @internal `emitReserved` under a name the browser bundle shortens (STYLE: `_` members are internal);
   * the library's own dispatches use it.
   */
  _emit<E extends keyof Events & string>(event: E, ...args: ListenerParams<Events[E]>): void {
    for (const listener of this.#l.get(event) ?? []) listener.apply(this, args);
  }
}

// The names socket.io's emitter also answers to (component-emitter), sharing the functions.
export interface Emitter<Events extends EventsMap> {
  /** Calls the listeners of `event` locally (never sends anything). */
  emitReserved: Emitter<Events>["_emit"];
  /** Alias of `off`. */
  removeListener: Emitter<Events>["off"];
  /** Alias of `off`. */
  removeEventListener: Emitter<Events>["off"];
}
const proto = Emitter.prototype;
proto.emitReserved = proto._emit;
proto.removeListener = proto.removeEventListener = proto.off;

/** Adds each handler to `emitter`; returns the function that removes them all. */
export function subscribe<Events extends EventsMap>(
  emitter: Emitter<Events>,
  handlers: NoInfer<{ [E in keyof Events & string]?: Events[E] }>,
): () => void {
  const each = (method: "on" | "off") => {
    for (const event in handlers) emitter[method](event, handlers[event]!);
  };
  each("on");
  return () => each("off");
}
