// A tab's link to the hub where there is no SharedWorker: one tab, the leader, runs the hub; the others
// reach it over a BroadcastChannel. The leader is elected with a Web Lock: every tab asks for it, the
// browser grants it to one and, when that tab closes (or crashes), to the next, which starts a new hub and
// says `hello`; the tabs join it again and the connection resumes the session (connection-state recovery).
import { Hub, type HubOutput } from "./hub.js";
import { type ChannelMessage, type HubMessage, isTabMessage, type TabMessage } from "./messages.js";
import { TabWatcher } from "./tab-liveness.js";
import type { HubLink, LinkHandlers } from "./tab-manager.js";

export class LeaderLink implements HubLink {
  readonly #tab: string;
  readonly #handlers: LinkHandlers;
  readonly #channel: BroadcastChannel;
  /** The hub, while this tab leads. */
  #hub: Hub | undefined;
  readonly #watcher = new TabWatcher((tab) => this.#hub?.receive({ t: "bye", tab }));

  /** @param key the server (origin and path): tabs with the same key share one connection */
  constructor(tab: string, key: string, handlers: LinkHandlers) {
    this.#tab = tab;
    this.#handlers = handlers;
    this.#channel = new BroadcastChannel(`volley:${key}`);
    this.#channel.onmessage = (event: MessageEvent<ChannelMessage>) => {
      const msg = event.data;
      if (typeof msg !== "object" || msg === null) return;
      if ("up" in msg) {
        if (!this.#hub || !isTabMessage(msg.up)) return;
        this.#watcher.see(msg.up.tab);
        this.#hub.receive(msg.up);
      } else if (msg.to === undefined || msg.to === tab) handlers.message(msg.down);
    };
    // Held until the tab goes away: the browser then grants it to the next tab waiting.
    navigator.locks
      .request(`volley-leader:${key}`, () => {
        this.#lead();
        return new Promise<void>(() => {});
      })
      .catch(() => {});
    // A leader needs Web Locks: every tab here holds its own.
    this.send({ t: "hi", tab, locked: true });
  }

  /** Sends a message to the hub: this tab's own, or over the channel to the leader's. */
  send(msg: TabMessage): void {
    const hub = this.#hub;
    // Asynchronous like a post, so the leader's own tab sees the order every other tab sees.
    if (hub) queueMicrotask(() => hub.receive(msg));
    else this.#channel.postMessage({ up: msg } satisfies ChannelMessage);
  }

  #lead(): void {
    const self = this.#tab;
    const local = (msg: HubMessage) => queueMicrotask(() => this.#handlers.message(msg));
    const out: HubOutput = {
      toTab: (tab, msg) =>
        tab === self
          ? local(msg)
          : this.#channel.postMessage({ down: msg, to: tab } satisfies ChannelMessage),
      toTabs: (tabs, msg) => {
        if (tabs.has(self)) local(msg);
        // One post reaches every tab; those not on the namespace ignore it.
        if (tabs.size > (tabs.has(self) ? 1 : 0))
          this.#channel.postMessage({ down: msg } satisfies ChannelMessage);
      },
    };
    const hub = new Hub(out);
    this.#hub = hub;
    // Closing the connection as the tab goes (an Engine.IO close, no namespace DISCONNECT) lets the server
    // keep the session for recovery before the next leader, granted the lock after this tab is gone, asks
    // for it. Left to the socket's own end, the next leader's CONNECT could overtake it: a fresh session.
    globalThis.addEventListener("pagehide", () => hub.close());
    // Every tab learns of the new hub and joins it (a previous leader's hub is gone with its tab).
    this.#channel.postMessage({ down: { t: "hello", hub: hub.id } } satisfies ChannelMessage);
    local({ t: "hello", hub: hub.id });
  }
}
