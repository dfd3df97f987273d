// A tab's link to the hub in the SharedWorker: a MessagePort. The worker holds a Web Lock while it lives;
// the tab waits on that lock, so the worker's death (a crash, the browser ending it) reaches the tab as the
// lock being granted, without polling. The tab then starts a new worker, which the other tabs share too.
import { hubLockName } from "./hub.js";
import type { HubMessage, TabMessage } from "./messages.js";
import type { HubLink, LinkHandlers } from "./tab-manager.js";

export class WorkerLink implements HubLink {
  readonly #tab: string;
  readonly #url: string;
  readonly #name: string;
  readonly #handlers: LinkHandlers;
  readonly #locked: boolean;
  #port: MessagePort | undefined;
  #watched: string | undefined;

  /**
   * @param url the worker script (same origin as the page)
   * @param name the worker's name: tabs with the same name share one worker
   * @param locked whether the tab holds its liveness lock
   */
  constructor(tab: string, url: string, name: string, locked: boolean, handlers: LinkHandlers) {
    this.#tab = tab;
    this.#url = url;
    this.#name = name;
    this.#locked = locked;
    this.#handlers = handlers;
    this.#start();
  }

  /** Sends a message to the hub. */
  send(msg: TabMessage): void {
    this.#port?.postMessage(msg);
  }

  #start(): void {
    const worker = new SharedWorker(this.#url, { name: this.#name });
    let answered = false;
    // The script could not be loaded or run: the tab falls back (to a leader tab).
    worker.onerror = () => {
      if (answered) return;
      this.#port = undefined;
      this.#handlers.failed();
    };
    const port = worker.port;
    this.#port = port;
    port.onmessage = (event: MessageEvent<HubMessage>) => {
      const msg = event.data;
      answered = true;
      if (msg.t === "hello") this.#watch(msg.hub);
      this.#handlers.message(msg);
    };
    port.postMessage({ t: "hi", tab: this.#tab, locked: this.#locked } satisfies TabMessage);
  }

  #watch(hub: string): void {
    if (this.#watched === hub) return;
    this.#watched = hub;
    // Granted once the worker holding the lock has died.
    navigator.locks
      ?.request(hubLockName(hub), () => {
        if (this.#watched !== hub) return;
        this.#handlers.lost();
        this.#start();
      })
      .catch(() => {});
  }
}
