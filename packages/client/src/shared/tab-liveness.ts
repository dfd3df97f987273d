// Knowing when a tab is gone, however it went (closed, crashed, killed): each tab holds a Web Lock named
// after it for its whole life; the hub asks for the same lock and is granted it only once the tab is gone.
// No heartbeat, no timer. `pagehide` (`bye`) is the quick path; this one catches what pagehide misses.

/** The Web Lock a tab holds while it lives. */
export function tabLockName(tab: string): string {
  return `volley-tab:${tab}`;
}

/**
 * Takes this tab's lock for its lifetime, then calls `then(true)`; `then(false)` at once where there are no
 * Web Locks (an insecure context): the hub must not watch a lock nobody holds.
 */
export function holdTabLock(tab: string, then: (locked: boolean) => void): void {
  const locks = globalThis.navigator?.locks;
  if (!locks) {
    then(false);
    return;
  }
  locks
    .request(tabLockName(tab), () => {
      then(true);
      return new Promise<void>(() => {});
    })
    .catch(() => then(false));
}

/** The hub's side: `gone(tab)` once for each tab seen, when that tab's lock is released. */
export class TabWatcher {
  readonly #seen = new Set<string>();
  readonly #gone: (tab: string) => void;

  constructor(gone: (tab: string) => void) {
    this.#gone = gone;
  }

  /** Starts watching `tab` (a tab that holds its lock already: it says `hi` only once it does). */
  see(tab: string): void {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks || this.#seen.has(tab)) return;
    this.#seen.add(tab);
    locks
      .request(tabLockName(tab), () => {
        this.#seen.delete(tab);
        this.#gone(tab);
      })
      .catch(() => {});
  }
}
