/**
 * What every command shares at the command line: the exit codes, flag parsing that turns node's
 * parseArgs errors into usage errors, and the one line on stderr a failure gets.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The same for every command; `factory --help` lists them. */
export const EXIT = {
  ok: 0,
  /** Bad input or usage; one line on stderr says what. */
  failure: 1,
  /** plan: no p in range meets the deadline (the best achievable T is printed). */
  infeasible: 2,
  /** predict: the model file is missing, unreadable or not a valid model artifact. */
  noModel: 2,
} as const;

/** `factory --help`'s line. */
export const EXIT_CODES_HELP = `Exit codes: 0 ok; 1 bad input or usage (one line on stderr); 2 plan infeasible, or predict has no usable model.`;

/** The line of a command that never exits 2. */
export const OK_OR_FAILURE_HELP = `Exit codes: 0 ok; 1 bad input or usage (one line on stderr).`;

/** Bad input or usage: one line, with a pointer to the command's --help. */
export class UsageError extends Error {}

/**
 * node's parseArgs, strict, with its errors as UsageErrors. `--units -5` is read as a value, as a
 * person means it (parseArgs refuses values that start with a dash unless written `--units=-5`), so
 * the command's own check can say what is wrong with it.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = config.options ?? {};
  const args = config.args ?? [];
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    const takesValue = Object.hasOwn(options, name) && options[name].type === 'string';
    if (takesValue && i + 1 < args.length && /^-\.?\d/.test(args[i + 1]))
      joined.push(`--${name}=${args[++i]}`);
    else joined.push(args[i]);
  }
  try {
    // strict is parseArgs' default; only the arguments change, so the result type is T's.
    return parseArgs({ ...config, args: joined }) as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    const message = parseArgsMessage(error);
    throw message === undefined ? error : new UsageError(message);
  }
}

/** The one line for an error of node's parseArgs (unknown option, missing value, ...); else undefined. */
export function parseArgsMessage(error: unknown): string | undefined {
  // Duck-typed: under jest, node's errors come from another realm and fail `instanceof Error`.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return undefined;
  // "Unknown option '--bogus'. To specify a positional argument starting with a '-', ...": the
  // advice is about positionals, which no command takes in that form; the first sentence says it.
  const line = firstLine(error);
  return code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? line.split('. ')[0] : line;
}

/**
 * The first line of an error's message (node's and the SDK's errors may run to several); a file
 * system error leads with its path: `in.csv: no such file or directory (ENOENT)`.
 */
export function firstLine(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; path?: unknown; syscall?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (typeof e?.code === 'string' && typeof e.path === 'string' && typeof e.syscall === 'string') {
    const what = /^[A-Z]+: ([^,\n]*)/.exec(message)?.[1] ?? message;
    return `${e.path}: ${what} (${e.code})`;
  }
  return message.split('\n')[0];
}

/**
 * Reports a failure as `factory <command>: <message>` on stderr and returns exit code 1. A usage
 * error points at the command's --help; FACTORY_DEBUG=1 adds the stack of anything unexpected.
 */
export function fail(command: string, error: unknown): number {
  const hint = error instanceof UsageError ? ` (factory ${command} --help)` : '';
  console.error(`factory ${command}: ${firstLine(error)}${hint}`);
  debugStack(error);
  return EXIT.failure;
}

/** With FACTORY_DEBUG set, the stack of an error that is not a plain usage or input error. */
export function debugStack(error: unknown): void {
  if (!process.env.FACTORY_DEBUG || error instanceof UsageError) return;
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack === 'string') console.error(stack);
}
