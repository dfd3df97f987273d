// The chat page: connection state, transport, rooms, presence, typing, and an outbox whose messages
// go from queued → sent → delivered (when the server's ack returns).
import { type ChatMessage, ROOMS, type Room, type User } from "../shared/events.js";
import type { ChatClientSocket } from "./client-types.js";
import { ConnectionView } from "./connection-view.js";
import { byId } from "./dom.js";
import { MessageList } from "./message-list.js";
import { chooseName, forgetName } from "./name.js";
import { Outbox, type OutboxEntry, randomClientId } from "./outbox.js";
import { Sidebar } from "./sidebar.js";
import { TypingPeers, TypingSignal, typingText } from "./typing.js";

const params = new URLSearchParams(location.search);

chooseName(params).then(start, (error: unknown) => console.error(error));

function start(name: string): void {
  const connection = new ConnectionView();
  const messages = new MessageList(byId<HTMLOListElement>("messages"));
  const typingLine = byId("typing");
  const roomTitle = byId("room-title");
  const form = byId<HTMLFormElement>("composer");
  const input = byId<HTMLInputElement>("text");
  const outbox = new Outbox(randomClientId());
  byId("me").textContent = name;
  byId("rename").addEventListener("click", () => {
    forgetName();
    location.search = "";
  });

  let room: Room = ROOMS[0];
  let me: User | null = null;
  /** True once the server has put this socket in `room`: only then may the outbox flush. */
  let joined = false;

  // `?transports=polling` (or `websocket`) pins the transports, as the browser tests do.
  const transports = (params.get("transports") ?? "polling,websocket")
    .split(",")
    .filter((t): t is "polling" | "websocket" => t === "polling" || t === "websocket");

  const socket: ChatClientSocket = io({
    auth: { name },
    transports: transports.length > 0 ? transports : ["polling", "websocket"],
    // Quicker than the 1 s / 5 s defaults: a chat should come back fast after a server restart.
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  });

  const peers = new TypingPeers((names) => {
    typingLine.textContent = typingText(names);
  });
  const typing = new TypingSignal((value) => {
    if (socket.connected) socket.emit("typing", value);
  });

  const sidebar = new Sidebar(ROOMS, (next) => {
    if (next !== room) join(next);
  });
  sidebar.active(room);
  sidebar.enabled(false);
  connection.show({ state: "connecting" });

  function showRoom(next: Room): void {
    room = next;
    sidebar.active(room);
    roomTitle.textContent = `# ${room}`;
    input.placeholder = `Message #${room}`;
  }

  function join(next: Room): void {
    typing.stop();
    socket.emit("join room", next, (result) => {
      if (!result.ok) {
        messages.system(`could not join #${next}: ${result.error.message}`);
        return;
      }
      // Another room: start a fresh list. The same room after a reconnection: keep the list, and let
      // the history add only what was missed (the list shows each id once).
      if (result.room !== room) {
        messages.clear();
        peers.clear();
      }
      showRoom(result.room);
      sidebar.users(result.users, me?.id ?? null);
      for (const message of result.history) {
        messages.addReceived(message, message.id.startsWith(`${outbox.clientId}:`));
      }
      joined = true;
      flush();
    });
  }

  function send(entry: OutboxEntry): void {
    outbox.mark(entry.id, "sent");
    messages.status(entry.id, "sent");
    socket.emit("chat message", { id: entry.id, room: entry.room, text: entry.text }, (result) => {
      if (result.ok) {
        outbox.mark(entry.id, "delivered");
        messages.status(entry.id, "delivered");
      } else {
        outbox.mark(entry.id, "failed");
        messages.status(entry.id, "failed", result.error.message);
      }
    });
  }

  function flush(): void {
    if (!joined || !socket.connected) return;
    for (const entry of outbox.queued()) send(entry);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text.length === 0) return;
    input.value = "";
    typing.stop();
    const entry = outbox.add(room, text);
    messages.addOwn(entry.id, entry.text, entry.status);
    flush();
  });
  input.addEventListener("input", () => typing.input());
  input.addEventListener("blur", () => typing.stop());

  socket.on("welcome", (info) => {
    me = info.user;
    byId("me").dataset.id = info.user.id;
  });

  socket.on("connect", () => {
    console.info(`connected as ${socket.id} over ${socket.io.engine?.transport.name}`);
    connection.show({ state: "connected" });
    sidebar.enabled(true);
    watchTransport();
    join(room);
  });

  socket.on("disconnect", (reason, details) => {
    console.info(`disconnected: ${reason}`, describe(details));
    joined = false;
    connection.show({ state: "disconnected", reason });
    connection.transport(null);
    sidebar.enabled(false);
    peers.clear();
    for (const entry of outbox.requeueSent()) messages.status(entry.id, "queued");
    // The chat server never sends people away on purpose; if it did, come back anyway.
    if (reason === "io server disconnect") socket.connect();
  });

  socket.on("connect_error", (error) => console.info(`connect_error: ${error.message}`));
  socket.io.on("reconnect_attempt", (attempt) => {
    console.info(`reconnecting, attempt ${attempt}`);
    connection.show({ state: "reconnecting", attempt });
  });
  socket.io.on("reconnect_failed", () => {
    connection.show({ state: "disconnected", reason: "gave up reconnecting" });
  });

  socket.on("chat message", (message: ChatMessage) => {
    if (message.room !== room) return;
    peers.remove(message.from.id);
    messages.addReceived(message, false);
  });

  socket.on("user joined", (event) => {
    if (event.room === room) messages.system(`${event.user.name} joined #${event.room}`);
  });
  socket.on("user left", (event) => {
    if (event.room !== room) return;
    peers.remove(event.user.id);
    messages.system(`${event.user.name} left #${event.room}`);
  });
  socket.on("presence", (event) => {
    if (event.room === room) sidebar.users(event.users, me?.id ?? null);
  });
  socket.on("typing", (event) => {
    if (event.room === room && event.user.id !== me?.id) peers.set(event.user, event.typing);
  });

  /** Shows the transport in use and follows the upgrade from polling to websocket. */
  function watchTransport(): void {
    const engine = socket.io.engine;
    if (!engine) return;
    connection.transport(engine.transport.name);
    engine.once("upgrade", (transport: { name: string }) => {
      console.info(`upgraded to ${transport.name}`);
      if (socket.io.engine === engine) connection.transport(transport.name);
    });
  }
}

/** A readable line for the error details a disconnection may carry (shown in the console only). */
function describe(details: unknown): string {
  if (details === undefined) return "";
  if (details instanceof Error) return `${details.name}: ${details.message}`;
  try {
    return JSON.stringify(details, (_key, value: unknown) =>
      value instanceof Error ? `${value.name}: ${value.message}` : value,
    );
  } catch {
    return String(details);
  }
}
