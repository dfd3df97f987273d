import {
  type ChatError,
  type ChatMessage,
  isRoom,
  type JoinResult,
  ROOMS,
  type Room,
  type SendResult,
  type User,
} from "../shared/events.js";
import { MessageLog } from "./message-log.js";
import { Presence } from "./presence.js";
import type { ChatIo, ChatSocket } from "./realtime.js";
import { userName } from "./user-name.js";

export interface ChatOptions {
  maxMessageLength: number;
  maxNameLength: number;
  historyLimit: number;
  dedupeWindow: number;
  /** Where the proof-of-life lines go. */
  log: (line: string) => void;
}

const MAX_MESSAGE_ID_LENGTH = 64;

function fail(code: ChatError["code"], message: string): { ok: false; error: ChatError } {
  return { ok: false, error: { code, message } };
}

/** Acks come from untrusted clients: call them only when they are functions. */
function reply<T>(ack: unknown, result: T): void {
  if (typeof ack === "function") ack(result);
}

/** Wires the chat's events onto `io`: rooms, presence, typing, history and acknowledged messages. */
export function attachChat(io: ChatIo, options: ChatOptions): void {
  const presence = new Presence();
  const log = new MessageLog(options.historyLimit, options.dedupeWindow);

  function leaveCurrentRoom(socket: ChatSocket, user: User): void {
    const room = socket.data.room;
    if (room === null) return;
    socket.data.room = null;
    socket.leave(room);
    presence.leave(room, user.id);
    io.to(room).emit("user left", { room, user });
    io.to(room).emit("presence", { room, users: presence.users(room) });
  }

  io.on("connection", (socket) => {
    const user: User = { id: socket.id, name: userName(socket.handshake.auth?.name, options.maxNameLength) };
    socket.data.name = user.name;
    socket.data.room = null;
    options.log(`a user connected ${socket.id} (${user.name})`);
    socket.emit("welcome", { user, rooms: ROOMS });

    socket.on("join room", (room: unknown, ack: unknown) => {
      if (!isRoom(room)) {
        reply<JoinResult>(ack, fail("invalid_room", `unknown room; rooms are: ${ROOMS.join(", ")}`));
        return;
      }
      if (socket.data.room !== room) {
        leaveCurrentRoom(socket, user);
        socket.data.room = room;
        socket.join(room);
        presence.enter(room, user);
        socket.to(room).emit("user joined", { room, user });
        io.to(room).emit("presence", { room, users: presence.users(room) });
      }
      reply<JoinResult>(ack, { ok: true, room, users: presence.users(room), history: log.history(room) });
    });

    socket.on("chat message", (message: unknown, ack: unknown) => {
      const checked = checkMessage(message, options.maxMessageLength);
      if ("error" in checked) return reply<SendResult>(ack, checked);
      const known = log.find(checked.id);
      // A resend after a lost ack: acknowledge again, deliver once.
      if (known) return reply<SendResult>(ack, { ok: true, id: known.id, at: known.at });
      if (socket.data.room !== checked.room) {
        return reply<SendResult>(ack, fail("not_in_room", `join "${checked.room}" before posting to it`));
      }
      const accepted: ChatMessage = { ...checked, from: user, at: Date.now() };
      log.add(accepted);
      socket.to(checked.room).emit("chat message", accepted);
      reply<SendResult>(ack, { ok: true, id: accepted.id, at: accepted.at });
    });

    socket.on("typing", (typing: unknown) => {
      const room = socket.data.room;
      if (room === null || typeof typing !== "boolean") return;
      // Volatile: a lost typing hint is harmless, a queued stale one is not.
      socket.volatile.to(room).emit("typing", { room, user, typing });
    });

    socket.on("disconnect", (reason) => {
      options.log(`user disconnected ${socket.id} (${reason})`);
      leaveCurrentRoom(socket, user);
    });
  });
}

function checkMessage(
  value: unknown,
  maxLength: number,
): { id: string; room: Room; text: string } | { ok: false; error: ChatError } {
  if (typeof value !== "object" || value === null)
    return fail("invalid_message", "message must be an object");
  const { id, room, text } = value as Record<string, unknown>;
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_MESSAGE_ID_LENGTH) {
    return fail("invalid_message", `message id must be a string of 1 to ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
  if (!isRoom(room)) return fail("invalid_room", `unknown room; rooms are: ${ROOMS.join(", ")}`);
  if (typeof text !== "string" || text.trim().length === 0) {
    return fail("invalid_message", "message text must be a non-empty string");
  }
  if (text.length > maxLength) {
    return fail("invalid_message", `message exceeds maxMessageLength (${maxLength} characters)`);
  }
  return { id, room, text: text.trim() };
}
