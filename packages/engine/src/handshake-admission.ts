// What the handshake of a new session (polling or websocket alike) passes before it may open: the caps
// and rates of the session registry, then `allowRequest`, then an id reserved for it. Each step may
// refuse; the request's own refusal (an HTTP error or an upgrade error) is the caller's.
import type { IncomingMessage } from "node:http";
import type { EngineRequestError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { checkAllowRequest } from "./request-checks.js";
import type { SessionRegistry } from "./session-registry.js";

/** How one handshake is admitted: the steps' inputs and the two ways it ends. */
export interface HandshakeAdmission {
  readonly registry: SessionRegistry;
  readonly allowRequest: ResolvedOptions["allowRequest"];
  /** Makes the new session's id (may be a promise). */
  generateId(req: IncomingMessage): string | Promise<string>;
  /** The handshake is refused with `err`. */
  refuse(err: EngineRequestError): void;
  /** Every step passed: the session may open. */
  admitted(): void;
}

/** Runs the steps in order; exactly one of `refuse` or `admitted` is called, now or later. */
export function admitHandshake(req: IncomingMessage, admission: HandshakeAdmission): void {
  const limited = admission.registry.admit(req);
  if (limited !== undefined) {
    admission.refuse(limited);
    return;
  }
  checkAllowRequest(admission.allowRequest, req, (refusal) => {
    if (refusal !== undefined) admission.refuse(refusal);
    else
      admission.registry.reserveId(
        req,
        (r) => admission.generateId(r),
        (failure) => {
          if (failure !== undefined) admission.refuse(failure);
          else admission.admitted();
        },
      );
  });
}
