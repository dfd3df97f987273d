import type { IncomingMessage, ServerResponse } from "node:http";
import { EngineErrorCode, EngineRequestError } from "./errors.js";

/** A middleware of `EngineServer.use`: Connect's shape; `next(err)` refuses the request (400). */
export type EngineMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** Runs `middlewares` in order; `done(err)` after the last one or the first failure (thrown or passed). */
export function runMiddlewares(
  middlewares: readonly EngineMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (err?: unknown) => void,
): void {
  let index = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      done(err);
      return;
    }
    const middleware = middlewares[index++];
    if (middleware === undefined) {
      done();
      return;
    }
    try {
      middleware(req, res, next);
    } catch (thrown) {
      done(thrown);
    }
  };
  next();
}

/** The refusal of a request a middleware failed (engine.io's `MIDDLEWARE_FAILURE`). */
export function middlewareFailure(err: unknown): EngineRequestError {
  return new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE", error: err });
}
