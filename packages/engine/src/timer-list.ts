import type { Clock } from "./clock.js";

/** A member of a {@link TimerList}: the links live on the member itself, so joining allocates nothing. */
export interface TimerEntry {
  timerPrev: TimerEntry | undefined;
  timerNext: TimerEntry | undefined;
  /** When the entry expires, on the clock's scale (whole milliseconds). */
  timerDeadline: number;
}

/**
 * Timeouts that all have the same duration (heartbeats: every session waits `pingInterval`, then
 * `pingTimeout`). Entries join at the tail, so the list stays sorted by deadline and ONE clock timer, set for
 * the head, serves every entry. Joining and leaving are O(1) and never touch the clock timer, except to arm it
 * when the list was empty and to clear it when the list empties. An idle session costs three fields, not a
 * timer object re-allocated at each ping.
 */
export class TimerList<T extends TimerEntry> {
  readonly delay: number;
  private readonly clock: Clock;
  private readonly onExpire: (entry: T) => void;
  private head: T | undefined;
  private tail: T | undefined;
  private handle: unknown;
  private armed = false;
  private size = 0;

  /** `onExpire(entry)` runs for each entry whose deadline passed, after the entry left the list. */
  constructor(delay: number, clock: Clock, onExpire: (entry: T) => void) {
    this.delay = delay;
    this.clock = clock;
    this.onExpire = onExpire;
  }

  /** Entries in the list. */
  get length(): number {
    return this.size;
  }

  /** Appends `entry` (which must not be in a list) to expire `delay` ms from now. */
  add(entry: T): void {
    // Whole milliseconds (a small integer, stored unboxed): an entry may expire under 1 ms early.
    entry.timerDeadline = Math.floor(this.clock.now() + this.delay);
    entry.timerPrev = this.tail;
    entry.timerNext = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.timerNext = entry;
    this.tail = entry;
    this.size++;
    if (!this.armed) this.arm(this.delay);
  }

  /** Takes `entry` out of the list; nothing happens if it is not in it. */
  remove(entry: T): void {
    if (entry.timerPrev === undefined && this.head !== entry) return;
    const prev = entry.timerPrev as T | undefined;
    const next = entry.timerNext as T | undefined;
    if (prev === undefined) this.head = next;
    else prev.timerNext = next;
    if (next === undefined) this.tail = prev;
    else next.timerPrev = prev;
    entry.timerPrev = undefined;
    entry.timerNext = undefined;
    this.size--;
    if (this.head === undefined && this.armed) {
      // An empty list holds no timer: nothing keeps the process alive once every session is gone.
      this.armed = false;
      this.clock.clearTimeout(this.handle);
      this.handle = undefined;
    }
  }

  /** Removes every entry without expiring it. */
  clear(): void {
    while (this.head !== undefined) this.remove(this.head);
  }

  /** @internal The clock timer fired: expire what is due, re-arm for the new head. */
  expire(): void {
    this.armed = false;
    this.handle = undefined;
    const now = this.clock.now();
    let entry = this.head;
    // Entries added by onExpire go to the tail with a later deadline: the loop ends.
    while (entry !== undefined && entry.timerDeadline <= now) {
      this.remove(entry);
      this.onExpire(entry);
      entry = this.head;
    }
    if (this.head !== undefined && !this.armed) this.arm(Math.max(1, this.head.timerDeadline - now));
  }

  private arm(ms: number): void {
    this.armed = true;
    this.handle = this.clock.setTimeout(expireList, ms, this);
  }
}

// A module function with the list as argument: no closure per arm.
function expireList(list: { expire(): void }): void {
  list.expire();
}
