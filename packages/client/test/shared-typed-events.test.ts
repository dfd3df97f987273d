// sharedIo is typed as io is: a wrong event name or payload fails to compile (TypeScript compiler).
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileErrors } from "./compile-errors.js";

test("SharedSocket<ListenEvents, EmitEvents> rejects wrong payloads at compile time", () => {
  assert.deepEqual(compileErrors(new URL("./fixtures/shared-typed-events.ts", import.meta.url)), []);
});
