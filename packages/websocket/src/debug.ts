// Debug logs by namespace (`volley:websocket`, `volley:engine`, `volley:server`, `volley:redis`, and
// their sub-namespaces), switched on with DEBUG the way Socket.IO users know it: names separated by
// commas or spaces, `*` as a wildcard, `-name` to exclude. Off, a call site costs one boolean read:
// every call is written `if (debug.enabled) debug.log(...)`, so nothing is formatted or allocated.
//
// This is the lowest package: the engine, the server and the adapters import it from here (through
// `@volley/engine` and `volley`), and the state lives on `globalThis` so that every copy of the module
// (ESM and CommonJS builds, sources under tsx) shares one set of patterns and one output.

/** Where the lines go: a function given one finished line (no trailing newline). */
export type DebugOutput = (line: string) => void;

interface DebugState {
  include: RegExp[];
  exclude: RegExp[];
  loggers: Set<DebugLogger>;
  output: DebugOutput | undefined;
}

const STATE_KEY = Symbol.for("volley.debug");

function state(): DebugState {
  const holder = globalThis as unknown as Record<symbol, DebugState | undefined>;
  let current = holder[STATE_KEY];
  if (current === undefined) {
    current = { include: [], exclude: [], loggers: new Set(), output: undefined };
    holder[STATE_KEY] = current;
    applyPatterns(current, environmentPatterns());
  }
  return current;
}

function environmentPatterns(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.DEBUG ?? "";
}

/** One pattern of the list as an anchored regular expression (`*` matches any run of characters). */
function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[|\\{}()[\]^$+?.]/g, "\\$&").replace(/\*/g, ".*?");
  return new RegExp(`^${escaped}$`);
}

function applyPatterns(target: DebugState, patterns: string): void {
  target.include = [];
  target.exclude = [];
  for (const part of patterns.split(/[\s,]+/)) {
    if (part === "") continue;
    if (part.startsWith("-")) target.exclude.push(patternToRegExp(part.slice(1)));
    else target.include.push(patternToRegExp(part));
  }
  for (const logger of target.loggers) logger.enabled = matches(target, logger.namespace);
}

function matches(target: DebugState, namespace: string): boolean {
  for (const skip of target.exclude) if (skip.test(namespace)) return false;
  for (const take of target.include) if (take.test(namespace)) return true;
  return false;
}

/**
 * A logger for one namespace. `enabled` is recomputed only when the patterns change
 * ({@link enableDebug}); test it before calling {@link log} so a disabled call site builds nothing.
 */
export class DebugLogger {
  /** The namespace, e.g. `volley:engine`. */
  readonly namespace: string;
  /** Whether lines of this namespace are printed: read it at the call site before {@link log}. */
  enabled: boolean;

  /** @internal Use {@link createDebug}. */
  constructor(namespace: string, enabled: boolean) {
    this.namespace = namespace;
    this.enabled = enabled;
  }

  /**
   * Prints one line: an ISO timestamp, the namespace, then `format` with its `%s` (string), `%d`
   * (number), `%j` / `%o` (JSON) and `%%` replaced by the arguments in order; extra arguments are
   * appended, separated by spaces.
   */
  log(format: string, ...args: unknown[]): void {
    if (!this.enabled) return;
    const line = `${new Date().toISOString()} ${this.namespace} ${formatMessage(format, args)}`;
    const output = state().output;
    if (output !== undefined) output(line);
    else writeStderr(line);
  }

  /** A logger for `<namespace>:<suffix>`, following the same patterns. */
  extend(suffix: string): DebugLogger {
    return createDebug(`${this.namespace}:${suffix}`);
  }
}

function writeStderr(line: string): void {
  const stderr = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process?.stderr;
  if (stderr !== undefined) stderr.write(`${line}\n`);
  else console.debug(line);
}

function formatMessage(format: string, args: unknown[]): string {
  let next = 0;
  const text = format.replace(/%([sdjo%])/g, (match, kind: string) => {
    if (kind === "%") return "%";
    if (next >= args.length) return match;
    const value = args[next++];
    switch (kind) {
      case "s":
        return String(value);
      case "d":
        return String(Number(value));
      default:
        return toJson(value);
    }
  });
  if (next >= args.length) return text;
  const rest: string[] = [text];
  for (let i = next; i < args.length; i++) {
    const value = args[i];
    rest.push(typeof value === "string" ? value : toJson(value));
  }
  return rest.join(" ");
}

function toJson(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

/**
 * The logger of `namespace`. Loggers are meant to be created once, at module load, and kept: each
 * one stays registered so that {@link enableDebug} can switch it.
 */
export function createDebug(namespace: string): DebugLogger {
  const current = state();
  const logger = new DebugLogger(namespace, matches(current, namespace));
  current.loggers.add(logger);
  return logger;
}

/**
 * Replaces the active patterns (the syntax of DEBUG: `volley*`, `volley:engine,volley:server`,
 * `volley*,-volley:websocket`); an empty string turns every logger off. The patterns DEBUG held at
 * start-up apply until this is called.
 */
export function enableDebug(patterns: string): void {
  applyPatterns(state(), patterns);
}

/** Whether lines of `namespace` are printed under the active patterns. */
export function isDebugEnabled(namespace: string): boolean {
  return matches(state(), namespace);
}

/** Sends the lines to `output` instead of stderr; `undefined` restores stderr. */
export function setDebugOutput(output: DebugOutput | undefined): void {
  state().output = output;
}
