// The messages between a tab and the hub that holds the one real connection (in a SharedWorker or in the
// leader tab). Everything here crosses `postMessage`, so it is structured-cloneable: no functions, an ack is
// an id on each side. One file for the wire format both sides read.

/** A tab's first word to a hub: answered by `hello` (the hub's id), after which the tab joins. */
export interface HiMessage {
  t: "hi";
  tab: string;
  /** The tab holds its liveness lock (tab-liveness.ts): the hub may watch it. */
  locked: boolean;
}

/** A tab uses a namespace: the hub connects it (first join) or adds the tab to its listeners. */
export interface JoinMessage {
  t: "join";
  tab: string;
  nsp: string;
  /** The absolute URL the Manager connects to (the first join's wins). */
  url: string;
  /** The first join's Manager options, cloneable ones only. */
  opts: Record<string, unknown>;
  /** The first join's auth wins: the server sees one socket. */
  auth?: Record<string, unknown>;
  /** Recovery: the session and last offset this tab saw, for a hub that replaces a lost one. */
  pid?: string;
  offset?: string;
}

export interface LeaveMessage {
  t: "leave";
  tab: string;
  nsp: string;
}

/** A tab's emit; `seq` is the tab's own number for it (per namespace), answered by `took` then `ack`. */
export interface EmitMessage {
  t: "emit";
  tab: string;
  nsp: string;
  seq: number;
  args: unknown[];
  ack: boolean;
  volatile: boolean;
  compress: boolean;
}

/** A tab's answer to a server emit that asked for an acknowledgement (the first answer wins). */
export interface AnswerMessage {
  t: "answer";
  tab: string;
  nsp: string;
  id: number;
  args: unknown[];
}

/** The tab is going away (pagehide): it leaves every namespace. */
export interface ByeMessage {
  t: "bye";
  tab: string;
}

export type TabMessage = HiMessage | JoinMessage | LeaveMessage | EmitMessage | AnswerMessage | ByeMessage;

/** The hub is there; a new id means a new hub (the previous one died): the tab joins again. */
export interface HelloMessage {
  t: "hello";
  hub: string;
}

/** The namespace's connection state, on every change and to each tab that joins. */
export interface StateMessage {
  t: "state";
  nsp: string;
  connected: boolean;
  id?: string;
  pid?: string;
  /** Recovery: the offset of the last event, so that a tab joining late knows it too. */
  offset?: string;
  recovered: boolean;
  reason?: string;
}

export interface ConnectErrorMessage {
  t: "connect_error";
  nsp: string;
  message: string;
  code?: string;
  data?: unknown;
}

/** A server event, to every tab of the namespace; `ack` is the hub's id for the server's ack request. */
export interface EventMessage {
  t: "event";
  nsp: string;
  args: unknown[];
  ack?: number;
  /** Recovery: the session's offset once this event is seen, which a replacing hub resumes from. */
  offset?: string;
}

/** The hub handed the tab's emit `seq` to the connection (or failed to: `error`). */
export interface TookMessage {
  t: "took";
  nsp: string;
  seq: number;
  error?: { code?: string; message: string; data?: unknown };
}

/** The server acknowledged the tab's emit `seq`. */
export interface AckMessage {
  t: "ack";
  nsp: string;
  seq: number;
  args: unknown[];
}

export type HubMessage =
  | HelloMessage
  | StateMessage
  | ConnectErrorMessage
  | EventMessage
  | TookMessage
  | AckMessage;

/** A message on the leader's BroadcastChannel: tab → hub (`up`), or hub → tabs (`down`; `to`: one tab). */
export type ChannelMessage = { up: TabMessage } | { down: HubMessage; to?: string };

/**
 * Whether `data` has a tab message's shape (a kind and a tab id). Same-origin code can post anything on the
 * channel or port: what is not one of ours is ignored, never thrown on.
 */
export function isTabMessage(data: unknown): data is TabMessage {
  const msg = data as Partial<TabMessage> | null;
  return typeof msg === "object" && msg !== null && typeof msg.t === "string" && typeof msg.tab === "string";
}

/** A random id for a tab or a hub (not `crypto.randomUUID`: it needs a secure context). */
export function randomId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/**
 * The Manager options a worker can receive: functions and objects that do not survive cloning (timers,
 * parser, WebSocket, agents) stay in the tab.
 */
export function cloneableOptions(opts: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (typeof value === "function" || key === "auth") continue;
    if (value !== null && typeof value === "object") {
      try {
        structuredClone(value);
      } catch {
        continue;
      }
    }
    out[key] = value;
  }
  return out;
}
