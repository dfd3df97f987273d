// Browser-style event objects for `addEventListener` and the `on<event>` properties, so code written
// against the WHATWG WebSocket runs unchanged in Node.

/** Base of the browser-style events. */
export class WebSocketEvent {
  readonly type: string;
  readonly target: unknown;
  constructor(type: string, target: unknown) {
    this.type = type;
    this.target = target;
  }
}

/** `message`: `data` is a string for text messages, otherwise shaped by `binaryType`. */
export class MessageEvent extends WebSocketEvent {
  readonly data: string | Buffer | ArrayBuffer | Buffer[];
  constructor(data: string | Buffer | ArrayBuffer | Buffer[], target: unknown) {
    super("message", target);
    this.data = data;
  }
}

/** `close`: `wasClean` is true when both close frames were exchanged. */
export class CloseEvent extends WebSocketEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(code: number, reason: string, wasClean: boolean, target: unknown) {
    super("close", target);
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/** `error`: the error and its message. */
export class ErrorEvent extends WebSocketEvent {
  readonly error: Error;
  readonly message: string;
  constructor(error: Error, target: unknown) {
    super("error", target);
    this.error = error;
    this.message = error.message;
  }
}

export type EventListenerLike<E> = ((event: E) => void) | { handleEvent(event: E): void };
