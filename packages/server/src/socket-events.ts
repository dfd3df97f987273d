// How a socket's incoming events reach application code: catch-all listeners (`onAny`, and
// `onAnyOutgoing` for what it sends), `socket.use` middlewares, then the event's listeners. Whatever
// application code throws or rejects goes to the socket's "error" listeners (or the server's), never
// up into the engine. Idle sockets carry none of these lists: they are created on first use.
import { EventEmitter } from "node:events";
import type { DisconnectReason } from "./disconnect-reason.js";
import { type EventsMap, StrictEventEmitter } from "./typed-events.js";

/** Events a socket emits itself. */
export interface SocketReservedEvents {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (err: Error) => void;
}

/** An incoming event as `socket.use` middlewares see it: `[eventName, ...args]` (socket.io's `Event`). */
// biome-ignore lint/suspicious/noExplicitAny: the arguments are whatever the client sent
export type Event = [eventName: string, ...args: any[]];

/** `socket.use` middleware: sees `[event, ...args]` of every incoming event before the listeners. */
export type SocketMiddleware = (event: Event, next: (err?: Error) => void) => void;

// biome-ignore lint/suspicious/noExplicitAny: catch-all listeners take anything
export type AnyListener = (...args: any[]) => void;

const emitLocal = EventEmitter.prototype.emit;

/** The listener side of a {@link Socket}. @internal */
export abstract class SocketEvents<ListenEvents extends EventsMap> extends StrictEventEmitter<
  ListenEvents,
  SocketReservedEvents
> {
  /** Whether the socket is currently connected. */
  abstract get connected(): boolean;
  /** @internal Catch-all listeners of outgoing packets; undefined when none. */
  _anyOutgoing: AnyListener[] | undefined;
  private fns: SocketMiddleware[] | undefined;
  private anyIncoming: AnyListener[] | undefined;

  /** Adds a middleware run on every incoming event before the listeners; `next(err)` drops the event. */
  use(fn: SocketMiddleware): this {
    if (!this.fns) this.fns = [];
    this.fns.push(fn);
    return this;
  }

  /** Listener called with `(event, ...args)` for every incoming event. */
  onAny(listener: AnyListener): this {
    this.anyIncoming = addListener(this.anyIncoming, listener, false);
    return this;
  }

  prependAny(listener: AnyListener): this {
    this.anyIncoming = addListener(this.anyIncoming, listener, true);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.anyIncoming = removeListener(this.anyIncoming, listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.anyIncoming ? [...this.anyIncoming] : [];
  }

  /** Listener called with `(event, ...args)` for every outgoing event. */
  onAnyOutgoing(listener: AnyListener): this {
    this._anyOutgoing = addListener(this._anyOutgoing, listener, false);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    this._anyOutgoing = addListener(this._anyOutgoing, listener, true);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this._anyOutgoing = removeListener(this._anyOutgoing, listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this._anyOutgoing ? [...this._anyOutgoing] : [];
  }

  /** @internal */
  _notifyOutgoing(data: unknown[]): void {
    const listeners = this._anyOutgoing;
    if (!listeners) return;
    for (const listener of [...listeners]) this.call(listener, data);
  }

  /** An event from the client, `[name, ...args]`: catch-alls, then middlewares, then its listeners. */
  protected deliver(args: unknown[]): void {
    const anyIncoming = this.anyIncoming;
    if (anyIncoming) for (const listener of [...anyIncoming]) this.call(listener, args);
    const fns = this.fns;
    if (fns) this.runMiddlewares(fns, args);
    else this.call(emitLocal, args);
  }

  /** Emits one of the socket's own events ("disconnect", "error"…) to its listeners. */
  protected emitOwn(args: unknown[]): void {
    this.call(emitLocal, args);
  }

  private runMiddlewares(fns: SocketMiddleware[], args: unknown[]): void {
    let i = 0;
    const next = (err?: Error): void => {
      if (!this.connected) return;
      if (err) {
        // A refusal is the middleware's decision; report it only to those who listen.
        if (this.listenerCount("error") > 0) this.call(emitLocal, ["error", err]);
        return;
      }
      if (i === fns.length) {
        this.call(emitLocal, args);
        return;
      }
      const fn = fns[i++]!;
      let called = false;
      const once = (e?: Error) => {
        if (called) return;
        called = true;
        next(e);
      };
      // A throw (or rejection) is a bug, not a decision: the event is dropped and the exception
      // reported like any other from application code.
      const fail = (e: unknown) => {
        called = true;
        this.onUserError(e);
      };
      try {
        const result: unknown = fn(args as Event, once);
        if (result instanceof Promise) result.catch(fail);
      } catch (e) {
        fail(e);
      }
    };
    next();
  }

  /**
   * Calls application code with `args`; an exception goes to the socket's "error" listeners (or
   * the server's), never up into the engine. No closure per call: this is the hot path.
   */
  protected call(fn: (...args: never[]) => unknown, args: readonly unknown[]): void {
    try {
      const result = (fn as (...a: unknown[]) => unknown).apply(this, args as unknown[]);
      if (result instanceof Promise) result.catch((err: unknown) => this.onUserError(err));
    } catch (err) {
      this.onUserError(err);
    }
  }

  protected override onListenerRejection(err: unknown): void {
    this.onUserError(err);
  }

  /** An exception nobody on the socket listens for: the server reports it. */
  protected abstract reportUnhandled(err: unknown): void;

  private onUserError(err: unknown): void {
    if (this.listenerCount("error") > 0) {
      try {
        this.emitReserved("error", err as Error);
        return;
      } catch (again) {
        err = again;
      }
    }
    this.reportUnhandled(err);
  }
}

// Catch-all listener lists are created on first use and dropped when empty: idle sockets carry none.
function addListener(
  list: AnyListener[] | undefined,
  listener: AnyListener,
  atFront: boolean,
): AnyListener[] {
  if (!list) return [listener];
  if (atFront) list.unshift(listener);
  else list.push(listener);
  return list;
}

function removeListener(list: AnyListener[] | undefined, listener: AnyListener | undefined) {
  if (!list || !listener) return undefined;
  const i = list.indexOf(listener);
  if (i >= 0) list.splice(i, 1);
  return list.length > 0 ? list : undefined;
}
