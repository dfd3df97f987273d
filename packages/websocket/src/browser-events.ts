// The browser's EventTarget surface over a `ws`-style emitter: `addEventListener`/`removeEventListener`
// and the `on<event>` handler properties, delivering WHATWG-shaped event objects.
import type { EventEmitter } from "node:events";
import { CloseEvent, ErrorEvent, type EventListenerLike, MessageEvent, WebSocketEvent } from "./events.js";
import { LazyEventEmitter } from "./lazy-emitter.js";

/** The connection the events come from. */
export interface BrowserEventSource {
  readonly emitter: EventEmitter;
  /** Both close frames were exchanged (`CloseEvent.wasClean`). */
  wasClean(): boolean;
}

/** Options of `addEventListener`; `once` removes the listener after its first call. */
export interface AddEventListenerOptions {
  once?: boolean;
}

type Wrapper = (...args: unknown[]) => void;

/** One connection's browser-style listeners; created on first use (most connections never need it). */
export class BrowserEvents {
  private readonly source: BrowserEventSource;
  private readonly listeners = new Map<string, Map<unknown, Wrapper>>();
  private readonly handlers = new Map<string, unknown>();

  constructor(source: BrowserEventSource) {
    this.source = source;
  }

  /** The `on<type>` handler, or null. */
  getHandler(type: string): unknown {
    return this.handlers.get(type) ?? null;
  }

  /** Replaces the `on<type>` handler; anything but a function clears it. */
  setHandler(type: string, handler: unknown): void {
    const previous = this.handlers.get(type);
    if (previous !== undefined) this.remove(type, previous as EventListenerLike<WebSocketEvent>);
    this.handlers.delete(type);
    if (typeof handler === "function") {
      this.handlers.set(type, handler);
      this.add(type, handler as EventListenerLike<WebSocketEvent>);
    }
  }

  /** Adds a listener for `open`, `message`, `close` or `error`; other types and repeats are ignored. */
  // biome-ignore lint/suspicious/noExplicitAny: listeners receive the event type of their `type`.
  add(type: string, listener: EventListenerLike<any>, options?: AddEventListenerOptions): void {
    let byListener = this.listeners.get(type);
    if (byListener === undefined) {
      byListener = new Map();
      this.listeners.set(type, byListener);
    }
    if (byListener.has(listener)) return;
    const source = this.source;
    const target = source.emitter;
    const call = (event: WebSocketEvent) => {
      if (options?.once) this.remove(type, listener);
      if (typeof listener === "function") listener.call(target, event);
      else listener.handleEvent(event);
    };
    let wrapper: Wrapper;
    if (type === "message") {
      wrapper = (data, isBinary) =>
        call(new MessageEvent(isBinary ? (data as Buffer) : textOf(data), target));
    } else if (type === "close") {
      wrapper = (code, reason) =>
        call(new CloseEvent(code as number, (reason as Buffer).toString(), source.wasClean(), target));
    } else if (type === "error") {
      wrapper = (error) => call(new ErrorEvent(error as Error, target));
    } else if (type === "open") {
      wrapper = () => call(new WebSocketEvent("open", target));
    } else return;
    byListener.set(listener, wrapper);
    target.on(type, wrapper);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as `add`.
  remove(type: string, listener: EventListenerLike<any>): void {
    const byListener = this.listeners.get(type);
    const wrapper = byListener?.get(listener);
    if (wrapper === undefined) return;
    byListener!.delete(listener);
    this.source.emitter.off(type, wrapper);
  }
}

function textOf(data: unknown): string {
  if (Buffer.isBuffer(data)) return data.toString();
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString();
  return Buffer.concat(data as Buffer[]).toString();
}

/**
 * The browser-style half of a WebSocket's API over the `ws`-style events its subclass emits:
 * `onopen`/`onmessage`/`onclose`/`onerror` and `addEventListener`/`removeEventListener`. The listener
 * tables are created on first use, so a connection that never uses them carries one null field.
 */
export abstract class WebSocketEventTarget extends LazyEventEmitter {
  private browserEvents: BrowserEvents | null = null;

  /** Both close frames were exchanged (`CloseEvent.wasClean`). */
  protected abstract closedCleanly(): boolean;

  private browser(): BrowserEvents {
    this.browserEvents ??= new BrowserEvents({ emitter: this, wasClean: () => this.closedCleanly() });
    return this.browserEvents;
  }

  private handler(type: string): unknown {
    return this.browserEvents?.getHandler(type) ?? null;
  }

  /** Browser-style `open` handler. */
  get onopen(): ((event: WebSocketEvent) => void) | null {
    return this.handler("open") as ((event: WebSocketEvent) => void) | null;
  }
  set onopen(handler: ((event: WebSocketEvent) => void) | null) {
    this.browser().setHandler("open", handler);
  }
  /** Browser-style `message` handler: `event.data` is a string for text. */
  get onmessage(): ((event: MessageEvent) => void) | null {
    return this.handler("message") as ((event: MessageEvent) => void) | null;
  }
  set onmessage(handler: ((event: MessageEvent) => void) | null) {
    this.browser().setHandler("message", handler);
  }
  /** Browser-style `close` handler: `{ code, reason, wasClean }`. */
  get onclose(): ((event: CloseEvent) => void) | null {
    return this.handler("close") as ((event: CloseEvent) => void) | null;
  }
  set onclose(handler: ((event: CloseEvent) => void) | null) {
    this.browser().setHandler("close", handler);
  }
  /** Browser-style `error` handler: `{ error, message }`. */
  get onerror(): ((event: ErrorEvent) => void) | null {
    return this.handler("error") as ((event: ErrorEvent) => void) | null;
  }
  set onerror(handler: ((event: ErrorEvent) => void) | null) {
    this.browser().setHandler("error", handler);
  }

  /** Browser-style listener registration for `open`, `message`, `close` and `error`. */
  // biome-ignore lint/suspicious/noExplicitAny: listeners receive the event type of their `type`.
  addEventListener(type: string, listener: EventListenerLike<any>, options?: AddEventListenerOptions): void {
    this.browser().add(type, listener, options);
  }

  /** Removes a listener added by `addEventListener`. */
  // biome-ignore lint/suspicious/noExplicitAny: as addEventListener.
  removeEventListener(type: string, listener: EventListenerLike<any>): void {
    this.browserEvents?.remove(type, listener);
  }
}
