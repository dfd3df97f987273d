// The SharedWorker script (bundled as volley.shared-worker.min.js): one hub for every tab of the origin
// that names this worker. Each tab is a MessagePort; the hub's messages go to the ports of their tabs.
import { Hub, hubLockName } from "./hub.js";
import { type HubMessage, isTabMessage, type TabMessage } from "./messages.js";
import { TabWatcher } from "./tab-liveness.js";

// The worker's global scope (the DOM library types `globalThis` as a Window).
const scope = globalThis as unknown as {
  onconnect: ((event: MessageEvent) => void) | null;
  navigator: { locks?: LockManager };
};

const ports = new Map<string, MessagePort>();
const post = (tab: string, msg: HubMessage) => ports.get(tab)?.postMessage(msg);
const hub = new Hub({
  toTab: post,
  toTabs: (tabs, msg) => {
    for (const tab of tabs) post(tab, msg);
  },
});

/** Messages that came before the hub held its lock: a tab must not watch a lock not yet taken. */
let early: Array<[MessagePort, TabMessage]> | undefined = [];

// A tab gone without `bye` (crashed, killed) still leaves its namespaces.
const watcher = new TabWatcher((tab) => {
  const port = ports.get(tab);
  if (port) receive(port, { t: "bye", tab });
});

function receive(port: MessagePort, msg: TabMessage): void {
  if (msg.t === "hi") {
    ports.set(msg.tab, port);
    if (msg.locked) watcher.see(msg.tab);
  }
  hub.receive(msg);
  if (msg.t === "bye") ports.delete(msg.tab);
}

scope.onconnect = (event) => {
  const port = event.ports[0]!;
  port.onmessage = (e: MessageEvent<unknown>) => {
    if (!isTabMessage(e.data)) return;
    if (early) early.push([port, e.data]);
    else receive(port, e.data);
  };
};

function start(): void {
  const queued = early ?? [];
  early = undefined;
  for (const [port, msg] of queued) receive(port, msg);
}

// Held while the worker lives; the tabs waiting for it learn of the worker's death when it is granted.
if (scope.navigator.locks)
  scope.navigator.locks
    .request(hubLockName(hub.id), () => {
      start();
      return new Promise<void>(() => {});
    })
    .catch(start);
else start();
