#!/usr/bin/env -S npx tsx
/**
 * The local CLI: `npm run -s factory -- <command> [options]`.
 * Each command lives in bin/commands/<name>.ts and exports `run(argv) => exit code`; they are
 * loaded lazily so `plan` does not pay for the AWS SDK.
 */
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
  plan: { summary: 'size capacity with T = n/p', load: () => import('./commands/plan') },
  train: { summary: 'fit the linear quality model exactly', load: () => import('./commands/train') },
  predict: {
    summary: 'score rows with a model, with explanations',
    load: () => import('./commands/predict'),
  },
  local: {
    summary: 'run the whole pipeline locally against moto_server',
    load: () => import('./commands/local'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: factory <command> [options]', '', 'commands:', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`factory: unknown command "${name}"\n${usage()}`);
    return 1;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`factory: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
