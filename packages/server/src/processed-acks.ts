// The record of one session's acknowledged client emits, for exactly-once processing: which ack ids the
// handlers have seen, and the answer each gave, so that an emit the client sends again after a lost
// connection is answered again instead of being processed twice. Bounded by count and by bytes: the oldest
// entries go first, and an id older than every entry kept is taken as already processed. Repeats and the
// entries dropped for a bound are counted in the server's counters (number fields: no allocation).
import type { ServerCounters } from "./metrics.js";

/** Bounds of one session's exactly-once record (the `exactlyOnce` server option). */
export interface ExactlyOnceOptions {
  /**
   * Most acknowledged emits remembered per session in each direction: client emits whose answers are kept,
   * and server emits awaiting the client's acknowledgement. Default 1000.
   */
  maxEmits?: number;
  /** Most bytes of kept answers per session (JSON-encoded size). Default 256 KiB. */
  maxBytes?: number;
}

/** Resolved bounds. @internal */
export interface ExactlyOnceLimits {
  maxEmits: number;
  maxBytes: number;
}

/** What to do with an acknowledged emit that arrives: the outcome of {@link ProcessedAcks.arrive}. */
export type Arrival =
  /** Never seen: process it. */
  | { kind: "new" }
  /** Its handler has not answered yet: the answer will go out when it does. */
  | { kind: "running" }
  /** Processed and answered: send this answer again. */
  | { kind: "answered"; answer: unknown[] }
  /** Processed long ago and its answer since forgotten (a bound was reached): drop it. */
  | { kind: "forgotten" };

interface Entry {
  /** Undefined while the handler runs. */
  answer: unknown[] | undefined;
  bytes: number;
}

const NEW: Arrival = { kind: "new" };
const RUNNING: Arrival = { kind: "running" };
const FORGOTTEN: Arrival = { kind: "forgotten" };

/**
 * Ack ids of one session's client emits and their answers. The client hands out ids in increasing order
 * and sends them in that order, so an id at or below the highest one forgotten is old, not new.
 */
export class ProcessedAcks {
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;
  /** Highest id dropped from `entries` to respect a bound; -1 while none was. */
  private forgottenUpTo = -1;
  private readonly limits: ExactlyOnceLimits;
  private readonly counters: ServerCounters;

  /** @param counters The server's counters: repeats and entries dropped for a bound are added there. */
  constructor(limits: ExactlyOnceLimits, counters: ServerCounters) {
    this.limits = limits;
    this.counters = counters;
  }

  /** Entries kept (running and answered). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the answers kept. */
  get keptBytes(): number {
    return this.bytes;
  }

  /** Classifies an arriving emit; a new one is recorded as running. */
  arrive(id: number): Arrival {
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.answer === undefined) {
        this.counters.exactlyOnceRepeatsAwaited++;
        return RUNNING;
      }
      this.counters.exactlyOnceRepeatsAnswered++;
      return { kind: "answered", answer: entry.answer };
    }
    if (id <= this.forgottenUpTo) {
      this.counters.exactlyOnceRepeatsForgotten++;
      return FORGOTTEN;
    }
    this.makeRoom(0);
    this.entries.set(id, { answer: undefined, bytes: 0 });
    return NEW;
  }

  /**
   * Records the handler's answer to emit `id`. Returns false when it is not kept: the entry was already
   * dropped for a bound, or the answer alone exceeds `maxBytes` (the id is then forgotten).
   */
  answered(id: number, answer: unknown[]): boolean {
    const entry = this.entries.get(id);
    if (!entry || entry.answer !== undefined) return false;
    const bytes = sizeOf(answer);
    if (bytes > this.limits.maxBytes) {
      this.forget(id, entry);
      this.counters.exactlyOnceRecordsDroppedMaxBytes++;
      return false;
    }
    // Room first (this entry may be the oldest), then the answer.
    this.entries.delete(id);
    this.makeRoom(bytes);
    entry.answer = answer;
    entry.bytes = bytes;
    this.entries.set(id, entry);
    this.bytes += bytes;
    return true;
  }

  /** Drops the oldest entries until one more fits: below `maxEmits` entries and `extra` more bytes. */
  private makeRoom(extra: number): void {
    const { maxEmits, maxBytes } = this.limits;
    for (const [id, entry] of this.entries) {
      if (this.entries.size >= maxEmits) this.counters.exactlyOnceRecordsDroppedMaxEmits++;
      else if (this.bytes + extra > maxBytes) this.counters.exactlyOnceRecordsDroppedMaxBytes++;
      else return;
      this.forget(id, entry);
    }
  }

  private forget(id: number, entry: Entry): void {
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    if (id > this.forgottenUpTo) this.forgottenUpTo = id;
  }
}

/** Size of an answer as JSON (binary counted as its byte length); unencodable values count as huge. */
export function sizeOf(answer: unknown[]): number {
  let binary = 0;
  try {
    const json = JSON.stringify(answer, (_key, value: unknown) => {
      if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
        binary += value.byteLength;
        return 0;
      }
      // Buffer#toJSON runs before the replacer: count its bytes, not its JSON form.
      if (isBufferJson(value)) {
        binary += value.data.length;
        return 0;
      }
      return value;
    });
    return (json?.length ?? 0) + binary;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function isBufferJson(value: unknown): value is { type: "Buffer"; data: number[] } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "Buffer" &&
    Array.isArray((value as { data?: unknown }).data)
  );
}

/** The bounds of the `exactlyOnce` option; undefined when it is `false`. */
export function resolveExactlyOnce(
  opt: ExactlyOnceOptions | boolean | undefined,
  positive: (name: string, value: number | undefined, fallback: number) => number,
): ExactlyOnceLimits | undefined {
  if (opt === false) return undefined;
  const o = opt === true || opt === undefined ? {} : opt;
  return {
    maxEmits: positive("exactlyOnce.maxEmits", o.maxEmits, 1000),
    maxBytes: positive("exactlyOnce.maxBytes", o.maxBytes, 256 * 1024),
  };
}
