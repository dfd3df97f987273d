// The namespaces of one server: static ones by name (created on first use), the dynamic parents a
// RegExp or function creates, the lookup a CONNECT to an unknown name goes through, and their adapters
// renewed when the adapter class changes or the server opens again after a close.
import { Namespace } from "./namespace.js";
import { matchDynamicNamespace, ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import type { Server } from "./server.js";
import type { Socket } from "./socket.js";
import type { EventsMap } from "./typed-events.js";

/** What the directory asks of its server besides making namespaces for it. */
export interface NamespaceDirectoryContext {
  /** Why no new dynamic child may be created now (the `maxChildNamespaces` limit), or undefined. */
  childRefusal(): string | undefined;
  /** Reports an exception thrown by a dynamic matcher. */
  report(err: unknown): void;
}

/** The static and dynamic namespaces of a {@link Server}. @internal */
export class NamespaceDirectory<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  /** Live namespaces by name: static ones and dynamic children. */
  readonly byName = new Map<string, Namespace<L, E, S, D>>();
  private readonly parents = new Map<ParentNspNameMatchFn, ParentNamespace<L, E, S, D>>();

  constructor(
    private readonly server: Server<L, E, S, D>,
    private readonly context: NamespaceDirectoryContext,
  ) {}

  /** See {@link Server.of}. */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<L, E, S, D>) => void,
  ): Namespace<L, E, S, D> {
    if (typeof name === "function" || name instanceof RegExp) {
      const parent = new ParentNamespace<L, E, S, D>(this.server);
      const regex = name instanceof RegExp ? name : undefined;
      const match: ParentNspNameMatchFn = regex
        ? (nsp, _auth, next) => next(null, regex.test(nsp))
        : (name as ParentNspNameMatchFn);
      this.parents.set(match, parent);
      if (fn) parent.on("connect", fn);
      return parent;
    }
    if (typeof name !== "string")
      throw new TypeError("namespace name must be a string, a RegExp or a function");
    if (name.charAt(0) !== "/") name = `/${name}`;
    let nsp = this.byName.get(name);
    if (!nsp) {
      nsp = new Namespace<L, E, S, D>(this.server, name);
      this.byName.set(name, nsp);
      if (name !== "/") this.server.sockets.emitReserved("new_namespace", nsp);
    }
    if (fn) nsp.on("connect", fn);
    return nsp;
  }

  /** Every namespace a new adapter of the server's current adapter class (the previous ones are closed already). */
  renewAdapters(): void {
    for (const nsp of this.byName.values()) nsp._initAdapter();
  }

  /** Every namespace a new adapter of the server's current adapter class; the previous ones close. */
  replaceAdapters(): void {
    for (const nsp of this.byName.values()) {
      const previous = nsp.adapter;
      nsp._initAdapter();
      try {
        const closing = previous.close();
        if (closing instanceof Promise) closing.catch((err) => this.context.report(err));
      } catch (err) {
        this.context.report(err);
      }
    }
  }

  /** See {@link Server._checkNamespace}. */
  check(
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: Namespace<L, E, S, D> | false, reason?: string) => void,
  ): void {
    const context = this.context;
    matchDynamicNamespace(this.parents, name, auth, {
      existing: (n) => this.byName.get(n),
      refusal: () => context.childRefusal(),
      report: (err) => context.report(err),
      done,
    });
  }
}
