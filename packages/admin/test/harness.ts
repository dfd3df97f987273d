// Shared by the admin tests: a Volley server on 127.0.0.1:0 with the admin view attached, Volley
// clients to it (the same client the page uses), everything closed by `cleanup()`.
import { once } from "node:events";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { type Admin, type AdminOptions, attachAdmin } from "@volley/admin";
import {
  io as connect,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "@volley/client";
import { Server, type ServerOptions } from "volley";

export const USER = "operator";
export const PASSWORD = "correct horse battery";
/** A low scrypt cost: the tests check the logic, not the cost. */
export const CHEAP = { N: 1024, r: 8, p: 1 };

export interface Harness {
  io: Server;
  http: HttpServer;
  /** The application's own request listener. */
  application: (req: IncomingMessage, res: ServerResponse) => void;
  admin: Admin;
  url: string;
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  operator(auth?: Record<string, unknown>): ClientSocket;
  cleanup(): Promise<void>;
}

export async function setup(
  adminOptions: Partial<AdminOptions> = {},
  serverOptions: ServerOptions = {},
): Promise<Harness> {
  // The application's own handler: whatever neither Volley nor the admin view serves gets a 404.
  const application = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404).end("application 404");
  };
  const http = createServer(application);
  const io = new Server(http, serverOptions);
  const admin = attachAdmin(io, {
    username: USER,
    password: PASSWORD,
    scryptCost: CHEAP,
    eventThrottle: 10,
    ...adminOptions,
  } as AdminOptions);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  const client = (nsp = "/", opts: Partial<ManagerOptions & SocketOptions> = {}) => {
    const socket = connect(`${url}${nsp}`, { forceNew: true, reconnection: false, ...opts });
    clients.push(socket);
    return socket;
  };
  return {
    io,
    http,
    application,
    admin,
    url,
    client,
    operator: (auth = { username: USER, password: PASSWORD }) => client("/admin", { auth }),
    async cleanup() {
      for (const c of clients) c.disconnect();
      admin.close();
      await io.close();
    },
  };
}

/** Resolves with the first argument of the next `event`. */
export function next<T = unknown>(emitter: ClientSocket, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event as never, ((arg: T) => resolve(arg)) as never));
}

/** Resolves with the first `event` whose argument passes `test`. */
export function until<T>(emitter: ClientSocket, event: string, test: (arg: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (arg: T) => {
      if (!test(arg)) return;
      emitter.off(event as never, listener as never);
      resolve(arg);
    };
    emitter.on(event as never, listener as never);
  });
}
