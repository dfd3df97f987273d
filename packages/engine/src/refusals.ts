// What happens to a refused request or upgrade besides its HTTP answer: counted by reason, logged when
// debugging, and given to `connection_error` listeners. And the one exception to "a refusal, never a
// throw": what `connection` listeners throw is the application's, passed on untouched.
import type { IncomingMessage } from "node:http";
import { debug } from "./debug.js";
import type { EngineErrorCode, EngineRequestError } from "./errors.js";
import { type EngineCounters, refusalReason } from "./metrics.js";

/** A refused request, as `connection_error` listeners receive it. */
export interface EngineConnectionError {
  req: IncomingMessage;
  code: EngineErrorCode;
  message: string;
  context: Record<string, unknown>;
}

/** Where a refusal is reported: the engine's counters and its `connection_error` listeners. */
export interface RefusalSink {
  readonly counters: EngineCounters;
  listenerCount(event: "connection_error"): number;
  emit(event: "connection_error", err: EngineConnectionError): boolean;
}

/** Counts, logs and reports the refusal of `req`. */
export function reportRefusal(sink: RefusalSink, req: IncomingMessage, err: EngineRequestError): void {
  sink.counters.refused(err.code, err.context.name);
  if (debug.enabled) logRefusal(req, err);
  if (sink.listenerCount("connection_error") === 0) return;
  sink.emit("connection_error", { req, code: err.code, message: err.message, context: err.context });
}

function logRefusal(req: IncomingMessage, err: EngineRequestError): void {
  const reason = refusalReason(err.code, err.context.name);
  debug.log("refused %s %s: %s (%s)", req.method, req.url, err.message, reason);
}

/** What `connection` listeners threw: the request's error handling passes these on untouched. */
const listenerErrors = new WeakSet<object>();

/** Marks `err` as thrown by a `connection` listener. */
export function markListenerError(err: unknown): void {
  if (typeof err === "object" && err !== null) listenerErrors.add(err);
}

/** Whether `err` was thrown by a `connection` listener (see {@link markListenerError}). */
export function thrownByListener(err: unknown): boolean {
  return typeof err === "object" && err !== null && listenerErrors.has(err);
}
