// The chat's wire contract, shared by the server and the page so both sides are checked by the compiler.

/** Rooms the demo offers. A fixed list keeps the server free of user-created state. */
export const ROOMS = ["general", "random", "help"] as const;
export type Room = (typeof ROOMS)[number];

export interface User {
  /** The socket id: one entry per open tab. */
  id: string;
  name: string;
}

export interface ChatMessage {
  /** Chosen by the sender (`<clientId>:<seq>`), so a resend after reconnection is recognised. */
  id: string;
  room: Room;
  from: User;
  text: string;
  /** Server time (ms since epoch) when the message was accepted. */
  at: number;
}

/** Error codes the server answers with; errors are values, never exceptions across the wire. */
export type ChatErrorCode = "invalid_message" | "invalid_room" | "not_in_room";

export interface ChatError {
  code: ChatErrorCode;
  message: string;
}

export type SendResult = { ok: true; id: string; at: number } | { ok: false; error: ChatError };

export type JoinResult =
  | { ok: true; room: Room; users: User[]; history: ChatMessage[] }
  | { ok: false; error: ChatError };

export interface OutgoingMessage {
  id: string;
  room: Room;
  text: string;
}

export interface ServerToClientEvents {
  welcome: (info: { user: User; rooms: readonly Room[] }) => void;
  "chat message": (message: ChatMessage) => void;
  "user joined": (event: { room: Room; user: User }) => void;
  "user left": (event: { room: Room; user: User }) => void;
  presence: (event: { room: Room; users: User[] }) => void;
  typing: (event: { room: Room; user: User; typing: boolean }) => void;
}

export interface ClientToServerEvents {
  "join room": (room: Room, ack: (result: JoinResult) => void) => void;
  "chat message": (message: OutgoingMessage, ack: (result: SendResult) => void) => void;
  typing: (typing: boolean) => void;
}

// biome-ignore lint/suspicious/noEmptyInterface: the demo runs one server; the slot is kept for clarity.
export interface InterServerEvents {}

/** What the server keeps on `socket.data`. */
export interface SocketData {
  name: string;
  room: Room | null;
}

/** Limits the server enforces; each is an option of `startChatServer`. */
export const DEFAULT_LIMITS = {
  /** Longest message text, in characters. */
  maxMessageLength: 2000,
  /** Longest user name, in characters. */
  maxNameLength: 32,
  /** Messages kept per room and sent to whoever joins. */
  historyLimit: 50,
  /** Message ids remembered to drop resends (bounded, oldest forgotten first). */
  dedupeWindow: 10_000,
} as const;

export function isRoom(value: unknown): value is Room {
  return typeof value === "string" && (ROOMS as readonly string[]).includes(value);
}
