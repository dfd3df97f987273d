// The Socket.IO benchmark app, one code for socket.io and Volley, written against the API both share.
import type { Counters, Scenario } from "./types.js";

type Ack = (...args: unknown[]) => void;

/** The part of a Socket.IO server-side socket the app uses. */
export interface SioSocketLike {
  on(event: string, cb: (...args: never[]) => void): unknown;
  join(room: string): unknown;
}

/** The part of a Socket.IO server the app uses. */
export interface SioServerLike {
  on(event: "connection", cb: (socket: SioSocketLike) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
  compress(flag: boolean): { emit(event: string, ...args: unknown[]): unknown };
}

/** A debug logger as an app keeps one (`createDebug("app")`): read `enabled` before calling `log`. */
export interface AppLogger {
  readonly enabled: boolean;
  log(format: string, ...args: unknown[]): void;
}

/**
 * Events: `echo(m, ack)` acks `m`; `emit(m)` does `io.emit("tick", m)`; `room(r, m)` does
 * `io.to(r).emit("tick", m)`; `join(r, ack)` joins room `r`. Idle sockets get no listeners at all.
 * Scenarios `deflate`, `deflate-shared`: `emit(m)` does `io.compress(true).emit("tick", m)`.
 * With `log` (the observed rows), every handler has a guarded log line, as a production app's would.
 */
export function attachSioApp(
  io: SioServerLike,
  scenario: Scenario,
  counters: Counters,
  log?: AppLogger,
): void {
  const roomSize = new Map<string, number>();
  // The compression row asks for deflate explicitly (socket.io's default flag; Volley's default is off).
  const deflate = scenario === "deflate" || scenario === "deflate-shared";
  const broadcast = io.compress(true);
  io.on("connection", (socket) => {
    counters.connections++;
    if (log?.enabled) log.log("connection %d", counters.connections);
    if (scenario === "idle") return;
    let joined: string | undefined;
    socket.on("echo", (m: unknown, ack: Ack) => {
      counters.messages++;
      if (log?.enabled) log.log("echo %d chars", String(m).length);
      ack(m);
    });
    socket.on("emit", (m: unknown) => {
      counters.messages++;
      if (log?.enabled) log.log("io.emit to %d sockets", counters.connections);
      counters.deliveries += counters.connections;
      if (deflate) broadcast.emit("tick", m);
      else io.emit("tick", m);
    });
    socket.on("room", (room: string, m: unknown) => {
      counters.messages++;
      counters.deliveries += roomSize.get(room) ?? 0;
      io.to(room).emit("tick", m);
    });
    socket.on("join", (room: string, ack: Ack) => {
      socket.join(room);
      joined = room;
      roomSize.set(room, (roomSize.get(room) ?? 0) + 1);
      ack();
    });
    socket.on("disconnect", () => {
      counters.connections--;
      if (joined !== undefined) roomSize.set(joined, (roomSize.get(joined) ?? 1) - 1);
    });
  });
}
