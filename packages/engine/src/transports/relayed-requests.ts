// Polling requests that reached this server through another server of the cluster (the session
// router relayed them). When that server dies, the relayed request breaks although the client is
// still there, and the load balancer sends the very same request again (same `t` parameter, which
// Engine.IO clients add to every request) to a server that is alive. So a broken relayed request
// must not end the session, and its repeat must be answered as the lost one was: a repeated GET gets
// the body the lost answer carried, a repeated POST is not applied twice.
import type { IncomingMessage } from "node:http";

/** What the polling transport needs of the session router. */
export interface RelayDetector {
  /** True for a request another server of the cluster relayed here. */
  isRelayed?(req: IncomingMessage): boolean;
}

/** The client's per-request token (engine.io's `timestampParam`, "t" unless a client changes it). */
function requestToken(req: IncomingMessage): string | undefined {
  const url = req.url ?? "";
  const start = url.indexOf("?");
  if (start < 0) return undefined;
  return new URLSearchParams(url.slice(start + 1)).get("t") ?? undefined;
}

/**
 * The last relayed GET and POST of one session: their tokens and the body of the GET's answer,
 * kept until the client's next GET shows it got it. One entry each: memory stays one payload.
 */
export class RelayedRequests {
  private pollToken: string | undefined;
  private pollBody: { body: string | Buffer; contentType: string } | undefined;
  private postToken: string | undefined;

  /** True when `req` came through another server. */
  static isRelayed(router: RelayDetector | undefined, req: IncomingMessage): boolean {
    return router?.isRelayed?.(req) === true;
  }

  /** An answer written to a relayed GET: kept until a GET with another token arrives. */
  answered(req: IncomingMessage, body: string | Buffer, contentType: string): void {
    const token = requestToken(req);
    this.pollToken = token;
    this.pollBody = token === undefined ? undefined : { body, contentType };
  }

  /** The body to answer `req` with when it repeats a relayed GET already answered; else undefined (and forgets it). */
  repeatedPoll(req: IncomingMessage): { body: string | Buffer; contentType: string } | undefined {
    const token = requestToken(req);
    const body = token !== undefined && token === this.pollToken ? this.pollBody : undefined;
    if (body === undefined) {
      this.pollToken = undefined;
      this.pollBody = undefined;
    }
    return body;
  }

  /** A relayed POST whose packets were applied. */
  applied(req: IncomingMessage): void {
    this.postToken = requestToken(req);
  }

  /** True when `req` repeats the relayed POST applied last (its packets must not be applied again). */
  repeatedPost(req: IncomingMessage): boolean {
    const token = requestToken(req);
    return token !== undefined && token === this.postToken;
  }
}
