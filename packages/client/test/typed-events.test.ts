// Typed event maps: a wrong event name or payload fails to compile (checked with the TypeScript compiler).
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileErrors } from "./compile-errors.js";

test("Socket<ListenEvents, EmitEvents> rejects wrong payloads at compile time", () => {
  assert.deepEqual(compileErrors(new URL("./fixtures/typed-events.ts", import.meta.url)), []);
});
