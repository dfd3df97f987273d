/**
 * `@volley/client/exactly-once` — exactly-once processing of acknowledged emits within the server's
 * connection-state recovery window, both ways, and recovery over a page reload. An add-on: import it (or
 * load `<path>/socket.io.exactly-once.js` after the client bundle, which adds `io.exactlyOnce`) and call
 * {@link exactlyOnce} on a Socket before it connects.
 * @packageDocumentation
 */
import { ExactlyOnce, type ExactlyOnceOptions, type ExactlyOnceSnapshot } from "./exactly-once.js";
import type { Socket } from "./socket.js";

export type { ExactlyOnceOptions, ExactlyOnceSnapshot, RestoredAck } from "./exactly-once.js";
export { ExactlyOnce };

/** Where the state is kept over a page reload: `sessionStorage`'s shape. */
export interface ExactlyOnceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options of {@link exactlyOnce}. */
export interface ExactlyOnceInstallOptions extends ExactlyOnceOptions {
  /**
   * Keeps the session over a page reload: written on `pagehide`, read (and removed) by `exactlyOnce()`.
   * `false` for none. Default `sessionStorage` where there is one (browsers), else none.
   */
  storage?: ExactlyOnceStorage | false;
  /** The storage key. Default `"volley:exactly-once:" + manager URI + namespace`. */
  storageKey?: string;
}

/**
 * Turns on exactly-once processing for `socket`; call it right after `io()` (before the connection
 * opens). The server must run with `connectionStateRecovery` (and its `exactlyOnce` option not `false`).
 * Returns the state, whose `granted` tells whether the server continues the session's record.
 */
export function exactlyOnce(socket: Socket, options: ExactlyOnceInstallOptions = {}): ExactlyOnce {
  const state = new ExactlyOnce(socket, options);
  const storage = options.storage ?? defaultStorage();
  if (!storage) return state;
  const key = options.storageKey ?? `volley:exactly-once:${socket.io.uri ?? ""}${socket.nsp}`;
  const saved = read(storage, key);
  if (saved) state.restore(saved);
  globalThis.addEventListener?.("pagehide", () => {
    const snapshot = state.snapshot();
    try {
      if (snapshot) storage.setItem(key, JSON.stringify(snapshot));
    } catch {
      // Storage full or refused: the next page starts a new session, as without this add-on.
    }
  });
  return state;
}

/** The stored snapshot, once: it is removed as it is read (a second tab must not take the same session). */
function read(storage: ExactlyOnceStorage, key: string): ExactlyOnceSnapshot | undefined {
  try {
    const text = storage.getItem(key);
    storage.removeItem(key);
    const value = text ? (JSON.parse(text) as ExactlyOnceSnapshot) : undefined;
    return value && isSnapshot(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isSnapshot(value: ExactlyOnceSnapshot): boolean {
  return (
    typeof value.pid === "string" &&
    (value.offset === undefined || typeof value.offset === "string") &&
    Number.isSafeInteger(value.nextId) &&
    Array.isArray(value.pending) &&
    value.pending.every(
      (entry) =>
        Array.isArray(entry) &&
        (entry[0] === null || Number.isSafeInteger(entry[0])) &&
        Array.isArray(entry[1]) &&
        typeof entry[1][0] === "string",
    ) &&
    Array.isArray(value.answers) &&
    value.answers.every(
      (entry) => Array.isArray(entry) && Number.isSafeInteger(entry[0]) && Array.isArray(entry[1]),
    )
  );
}

/** `sessionStorage` in a page (Node may have one too, but no page to reload). */
function defaultStorage(): ExactlyOnceStorage | undefined {
  if (typeof globalThis.addEventListener !== "function") return undefined;
  try {
    return (globalThis as { sessionStorage?: ExactlyOnceStorage }).sessionStorage;
  } catch {
    return undefined; // a sandboxed frame throws on access
  }
}
