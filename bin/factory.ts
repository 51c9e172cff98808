#!/usr/bin/env -S npx tsx
/**
 * The local CLI: `npm run -s factory -- <command> [options]`, or `node dist/factory.js` once built
 * (`npm run build:cli`; `npm ci` builds it).
 * Each command lives in bin/commands/<name>.ts and exports `run(argv) => exit code`; they are
 * loaded lazily so `plan` does not pay for the AWS SDK (the build keeps one bundle per command for
 * the same reason: scripts/build-cli.mjs).
 */
import { debugStack, EXIT, EXIT_CODES_HELP, firstLine } from './commands/command-line';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Command = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  generate: {
    summary: 'write deterministic synthetic production data',
    load: () => import('./commands/generate'),
  },
  preprocess: {
    summary: 'clean one CSV: dedupe, fill, group statistics',
    load: () => import('./commands/preprocess'),
  },
  schema: {
    summary: 'read a CSV sample and print its dataset schema (JSON)',
    load: () => import('./commands/schema'),
  },
  plan: { summary: 'size capacity with T = n/p', load: () => import('./commands/plan') },
  train: { summary: 'fit the linear quality model exactly', load: () => import('./commands/train') },
  predict: {
    summary: 'score rows with a model, with explanations',
    load: () => import('./commands/predict'),
  },
  drift: {
    summary: "PSI and mean shift of rows against a model's training data, naming drifted features",
    load: () => import('./commands/drift'),
  },
  query: {
    summary: 'SQL over preprocess outputs on the embedded engine (DuckDB)',
    load: () => import('./commands/query'),
  },
  cost: {
    summary: 'what the platform costs: idle, per training run, per million predictions',
    load: () => import('./commands/cost'),
  },
  models: {
    summary: 'list, show and roll back model versions (pointer and Model Registry together)',
    load: () => import('./commands/models'),
  },
  local: {
    summary: 'run the whole pipeline locally against moto_server',
    load: () => import('./commands/local'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: factory <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'factory <command> --help (or factory help <command>) shows its options.',
    EXIT_CODES_HELP,
    'FACTORY_DEBUG=1 adds the stack trace of an unexpected error.',
  ].join('\n');
}

/** The name printed before a failure: the command's, once one is chosen. */
let current = 'factory';

function failed(error: unknown): void {
  console.error(`${current}: ${firstLine(error)}`);
  debugStack(error);
}

// Whatever escapes a command (an error event nobody listens to, a stray rejection) still ends in
// one line and exit 1, not a stack trace.
process.on('uncaughtException', (error) => {
  failed(error);
  process.exit(EXIT.failure);
});

// `factory plan | head -1`: when the reader of stdout goes away, Node emits EPIPE as an 'error'
// event on process.stdout. What is left to print is no longer wanted and the files a command
// writes are written before its summary, so this is not a failure: exit at once, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
  throw error;
});

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0 && Object.hasOwn(COMMANDS, rest[0])) {
    return (await COMMANDS[rest[0]].load()).run(['--help']);
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return EXIT.ok;
  }
  const names = Object.keys(COMMANDS).join(', ');
  if (!name) {
    console.error(`factory: no command given; one of ${names} (factory --help)`);
    return EXIT.failure;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(`factory: unknown command "${name}"; one of ${names} (factory --help)`);
    return EXIT.failure;
  }
  current = `factory ${name}`;
  return (await COMMANDS[name].load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    failed(error);
    process.exitCode = EXIT.failure;
  },
);
