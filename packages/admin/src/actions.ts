// What an operator can do to a socket, checked before anything happens: disconnect it, or make it
// leave a room. Both go through the namespace's adapter (`in(id).…`), so they reach the socket on
// whichever node of the cluster holds it.
import type { Namespace, Room } from "volley";
import type { AnyServer } from "./snapshot.js";

/** An operator's action, as reported by the `action` event. */
export interface AdminAction {
  type: "disconnect" | "leave";
  namespace: string;
  socketId: string;
  /** The room left (`leave`). */
  room?: Room;
  /** The operator's reason (`disconnect`); recorded here, not sent to the client. */
  reason?: string;
  /** Whether the whole connection was closed (`disconnect`). */
  close?: boolean;
  operator: string;
  /** The operator's client address. */
  address: string;
  at: number;
}

/** What an action request is answered. */
export type ActionReply = { ok: true } | { ok: false; error: string };

/** Who acts, and on which server. */
export interface ActionContext {
  io: AnyServer;
  /** The admin namespace: not managed from the page. */
  adminNamespace: string;
  operator: string;
  address: string;
  now: number;
}

const MAX_REASON_LENGTH = 200;

// biome-ignore lint/suspicious/noExplicitAny: any namespace, whatever its event maps
type AnyNamespace = Namespace<any, any, any, any>;

/** The namespace and socket an action names, or why the request is refused. */
function target(request: unknown, ctx: ActionContext): { nsp: AnyNamespace; id: string } | string {
  if (request === null || typeof request !== "object") return "the request must be an object";
  const { namespace, socketId } = request as Record<string, unknown>;
  if (typeof namespace !== "string" || typeof socketId !== "string" || socketId.length === 0) {
    return "namespace and socketId must be strings";
  }
  if (namespace === ctx.adminNamespace) return "the admin namespace is not managed from the page";
  // Looked up, never created: `io.of(name)` would make a namespace of any name an operator sends.
  const nsp = ctx.io.namespaces().find((n) => n.name === namespace);
  if (!nsp) return `no namespace ${namespace}`;
  return { nsp, id: socketId };
}

/** `{ namespace, socketId, reason?, close? }`: disconnects the socket. */
export function disconnectSocket(request: unknown, ctx: ActionContext): AdminAction | string {
  const t = target(request, ctx);
  if (typeof t === "string") return t;
  const { reason, close } = request as Record<string, unknown>;
  if (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON_LENGTH)) {
    return `reason must be a string of at most ${MAX_REASON_LENGTH} characters`;
  }
  t.nsp.in(t.id).disconnectSockets(close === true);
  return {
    type: "disconnect",
    namespace: t.nsp.name,
    socketId: t.id,
    reason: (reason as string | undefined) ?? "",
    close: close === true,
    operator: ctx.operator,
    address: ctx.address,
    at: ctx.now,
  };
}

/** `{ namespace, socketId, room }`: makes the socket leave the room. */
export function leaveRoom(request: unknown, ctx: ActionContext): AdminAction | string {
  const t = target(request, ctx);
  if (typeof t === "string") return t;
  const { room } = request as Record<string, unknown>;
  if (typeof room !== "string" && typeof room !== "number") return "room must be a string or a number";
  if (room === t.id) return "a socket cannot leave its own room";
  t.nsp.in(t.id).socketsLeave(room);
  return {
    type: "leave",
    namespace: t.nsp.name,
    socketId: t.id,
    room,
    operator: ctx.operator,
    address: ctx.address,
    at: ctx.now,
  };
}
