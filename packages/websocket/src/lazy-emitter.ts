// An EventEmitter that allocates nothing until its first listener. Node's constructor gives every
// emitter five fields and a dictionary-mode listener table (~220 bytes) at once; a server holding
// tens of thousands of idle connections, each with a few emitters nobody listens to, pays that for
// nothing. Node's EventEmitter methods all accept an emitter whose `_events` is still undefined
// (`on` creates the table, `emit` and `listenerCount` treat it as empty), so skipping the constructor
// is enough. Instances are still `instanceof EventEmitter` and have all its methods.
import { EventEmitter } from "node:events";

// Node keeps `captureRejections` per instance under this symbol, set by the constructor we skip;
// subclasses that want it set it on their prototype instead (see `captureRejectionsByDefault`).
const kCapture = Object.getOwnPropertySymbols(EventEmitter.prototype).find(
  (s) => s.description === "kCapture",
);

function LazyEmitterBase(this: EventEmitter): void {
  // Deliberately empty: no listener table, no fields.
}
LazyEmitterBase.prototype = Object.create(EventEmitter.prototype, {
  constructor: { value: LazyEmitterBase, writable: true, configurable: true },
});
// Static helpers (`EventEmitter.once`, `defaultMaxListeners` …) stay reachable from subclasses.
Object.setPrototypeOf(LazyEmitterBase, EventEmitter);

/**
 * Base class for emitters held once per connection: `class X extends LazyEventEmitter`. Behaves as
 * `EventEmitter` (the constructor takes no options) but creates its listener table with the first
 * listener.
 */
export const LazyEventEmitter = LazyEmitterBase as unknown as typeof EventEmitter;

/**
 * `captureRejections: true` for every instance of `cls` (a subclass of {@link LazyEventEmitter}),
 * set once on its prototype instead of per instance. Returns false when this Node version keeps
 * the setting elsewhere; the caller then handles rejected listener promises itself.
 */
export function captureRejectionsByDefault(cls: { prototype: object }): boolean {
  if (kCapture === undefined) return false;
  (cls.prototype as Record<symbol, boolean>)[kCapture] = true;
  return true;
}
