// A tab's link to a hub of its own, where the browser has neither SharedWorker nor BroadcastChannel with
// Web Locks: an ordinary connection per tab, behind the same API.
import { Hub } from "./hub.js";
import type { HubMessage, TabMessage } from "./messages.js";
import type { HubLink, LinkHandlers } from "./tab-manager.js";

export class LocalLink implements HubLink {
  readonly #hub: Hub;

  constructor(handlers: LinkHandlers) {
    const deliver = (msg: HubMessage) => queueMicrotask(() => handlers.message(msg));
    this.#hub = new Hub({ toTab: (_tab, msg) => deliver(msg), toTabs: (_tabs, msg) => deliver(msg) });
  }

  /** Sends a message to the hub. */
  send(msg: TabMessage): void {
    queueMicrotask(() => this.#hub.receive(msg));
  }
}
