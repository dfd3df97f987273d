import type { User } from "../shared/events.js";

/** How long a "typing" hint lasts without news (the "stopped" hint is volatile and may be lost). */
const TYPING_EXPIRY_MS = 6000;
/** Idle time after which this page says it stopped typing. */
const TYPING_IDLE_MS = 2000;

/** Who else is typing in the room, each entry expiring on its own. */
export class TypingPeers {
  readonly #peers = new Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly onChange: (names: string[]) => void) {}

  set(user: User, typing: boolean): void {
    this.remove(user.id, false);
    if (typing) {
      const timer = setTimeout(() => this.remove(user.id), TYPING_EXPIRY_MS);
      this.#peers.set(user.id, { name: user.name, timer });
    }
    this.onChange(this.names());
  }

  remove(id: string, notify = true): void {
    const peer = this.#peers.get(id);
    if (peer) {
      clearTimeout(peer.timer);
      this.#peers.delete(id);
    }
    if (notify) this.onChange(this.names());
  }

  clear(): void {
    for (const id of [...this.#peers.keys()]) this.remove(id, false);
    this.onChange([]);
  }

  names(): string[] {
    return [...this.#peers.values()].map((peer) => peer.name);
  }
}

/** Tells the room when this page starts and stops typing, once per change rather than per key. */
export class TypingSignal {
  #typing = false;
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly emit: (typing: boolean) => void) {}

  input(): void {
    if (!this.#typing) {
      this.#typing = true;
      this.emit(true);
    }
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.#idle);
    if (this.#typing) {
      this.#typing = false;
      this.emit(false);
    }
  }
}

export function typingText(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
