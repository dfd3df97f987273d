// What a Socket's emit carries besides its arguments: the modifiers set for the next emit, and the marks of
// the at-least-once queue (`retries`). Members are `_`-named: the browser bundle shortens them.

/** The modifiers of one emit: `volatile`, `compress()`, `timeout()`, and the queue's own. */
export interface EmitFlags {
  _compress?: boolean;
  _volatile?: boolean;
  _timeout?: number;
  /** Sent by the at-least-once queue (not queued again). */
  _fromQueue?: boolean;
  /** The ack id of a queued emit, kept across its retries (a repeat the server can recognise). */
  _id?: number;
}

/** An emit of the at-least-once queue (`retries`): its arguments with the queue's own ack last. */
export interface QueuedEmit {
  _tries: number;
  /** An attempt is in flight (sent, not yet answered or timed out). */
  _pending: boolean;
  _args: unknown[];
  _flags: EmitFlags;
}
