// sharedIo is typed as io is: a wrong event name or payload fails to compile (TypeScript compiler).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

test("SharedSocket<ListenEvents, EmitEvents> rejects wrong payloads at compile time", () => {
  const file = fileURLToPath(new URL("./fixtures/shared-typed-events.ts", import.meta.url));
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: ["volley-source"],
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    skipLibCheck: true,
    verbatimModuleSyntax: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file?.fileName ?? ""}:${where ? where.line + 1 : "?"} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  // An unused @ts-expect-error is itself an error, so none at all means each expected error happened.
  assert.deepEqual(diagnostics, []);
});
