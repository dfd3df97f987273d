// The type tests' compiler: a fixture compiled (not run) as a user's strict project would compile it.
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The compiler's errors for the fixture at `url`, each `file:line message`. The fixtures mark the errors
 * they expect with `@ts-expect-error`, and an unused one is itself an error: none means each one happened.
 */
export function compileErrors(url: URL): string[] {
  const program = ts.createProgram([fileURLToPath(url)], {
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
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file?.fileName ?? ""}:${where ? where.line + 1 : "?"} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}
