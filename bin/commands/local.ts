/**
 * `factory local` (`npm start`): the whole pipeline on this machine against moto_server.
 * The work is `runLocalPipeline` (bin/local/pipeline.ts), which the end-to-end test calls too;
 * this command parses flags, wires Ctrl-C, prints progress to stderr and the summary to stdout.
 */
import {
  MotoMissingError,
  runLocalPipeline,
  UserDataError,
  type LocalPipelineOptions,
} from '../local/pipeline';
import { formatSummary } from '../local/summary-format';
import { EXIT, OK_OR_FAILURE_HELP, fail, parseFlags, UsageError } from './command-line';
import { readSchemaFile } from './schema-file';
import { delimiterOf } from './delimiter-flag';

export const LOCAL_USAGE = `usage: factory local [options]        (npm start -- [options])
  --input FILE.csv...  your own CSV files (gzip too), one raw object each, in place of
                       generated data; every step runs on them
  --schema S.json      with --input: its dataset schema (factory schema --help shows the format)
  --target COL         with --input and no --schema: the column to predict; the schema is inferred
                       from the first file as \`factory schema\` does (default: the last numeric column)
  --category COL       with --target: the column to group by (default: inferred)
  --delimiter D        with --input: the files' field delimiter, comma, tab, semicolon or pipe
                       (default: the config's preprocess.delimiter, a comma)
  --rows N             rows to generate over all files (default 200000)
  --files K            raw objects the rows are split into (default 4)
  --seed S             generator seed (default 42)
  --port P             port of the local predict API (default: any free port)
  --keep-running       keep moto_server and the API up after the summary, until Ctrl-C
  --deadline SECONDS   training deadline for the plan step (default: the platform config's)
  --max-instances N    ceiling on p for the plan step (default: the platform config's)
  --keep-data          keep the generated CSVs and the hosts' input copies in the work dir
  --json               print the summary as JSON instead of text
  --verbose            let the handlers' own JSON logs through (stdout)
Needs moto_server on PATH (pip install "moto[server]").
${OK_OR_FAILURE_HELP} Ctrl-C: 130, SIGTERM: 143.`;

function whole(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${text}"`);
  return Number(text);
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(v) && v > 0))
    throw new UsageError(`--${name} must be a number > 0, got "${text}"`);
  return v;
}

export interface LocalArgs {
  readonly options: LocalPipelineOptions;
  /** `--schema FILE`, read by `run` (the options then carry the schema). */
  readonly schemaFile?: string;
  readonly json: boolean;
  readonly help: boolean;
}

/** Flags → pipeline options; throws a UsageError naming the flag. */
export function parseLocalArgs(argv: string[]): LocalArgs {
  const { values, positionals } = parseFlags({
    args: argv,
    options: {
      input: { type: 'string', multiple: true },
      schema: { type: 'string' },
      target: { type: 'string' },
      category: { type: 'string' },
      delimiter: { type: 'string' },
      rows: { type: 'string' },
      files: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      'keep-running': { type: 'boolean' },
      deadline: { type: 'string' },
      'max-instances': { type: 'string' },
      'keep-data': { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    // `--input a.csv b.csv`: the files after the first --input are inputs too.
    allowPositionals: true,
  });
  if (positionals.length > 0 && values.input === undefined)
    throw new UsageError(`unexpected argument "${positionals[0]}" (your own files go after --input)`);
  const inputs = [...(values.input ?? []), ...positionals];
  if (inputs.length === 0) {
    for (const flag of ['schema', 'target', 'category', 'delimiter'] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --input FILE.csv`);
  } else {
    for (const flag of ['rows', 'files', 'seed'] as const)
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} is for generated data; it cannot go with --input`);
    if (values.schema !== undefined && (values.target !== undefined || values.category !== undefined))
      throw new UsageError('give --schema or --target/--category, not both: the schema names the target');
  }
  const port = whole('port', values.port, 0);
  if (port !== undefined && port > 65535)
    throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const rows = whole('rows', values.rows, 1);
  const files = whole('files', values.files, 1);
  if (files !== undefined && files > (rows ?? 200_000))
    throw new UsageError(`--files must not exceed --rows (${rows ?? 200_000}), got ${files}`);
  const deadlineSeconds = positive('deadline', values.deadline);
  const maxInstances = whole('max-instances', values['max-instances'], 1);
  return {
    help: Boolean(values.help),
    json: Boolean(values.json),
    schemaFile: values.schema,
    options: {
      ...(inputs.length > 0 ? { inputs } : {}),
      ...(values.target !== undefined ? { target: values.target } : {}),
      ...(values.category !== undefined ? { category: values.category } : {}),
      ...(values.delimiter !== undefined ? { delimiter: delimiterOf(values.delimiter) } : {}),
      ...(rows !== undefined ? { rows } : {}),
      ...(files !== undefined ? { files } : {}),
      ...(values.seed !== undefined ? { seed: whole('seed', values.seed, 0) } : {}),
      ...(port !== undefined ? { port } : {}),
      keepRunning: Boolean(values['keep-running']),
      keepData: Boolean(values['keep-data']),
      verbose: Boolean(values.verbose),
      plan: {
        ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}),
        ...(maxInstances !== undefined ? { maxInstances } : {}),
      },
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  let args: LocalArgs;
  try {
    args = parseLocalArgs(argv);
  } catch (error) {
    return fail('local', error);
  }
  if (args.help) {
    console.log(LOCAL_USAGE);
    return EXIT.ok;
  }
  let options = args.options;
  if (args.schemaFile !== undefined) {
    try {
      options = { ...options, schema: await readSchemaFile(args.schemaFile) };
    } catch (error) {
      return fail('local', error);
    }
  }

  // Ctrl-C / SIGTERM: abort the run; the pipeline's cleanup stops the trainer hosts, the API and
  // moto_server. A second signal exits at once (moto_server's exit hook still kills it).
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupted = signal;
    if (!args.options.keepRunning) process.stderr.write(`\n${signal}: stopping...\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const print = (summary: Parameters<typeof formatSummary>[0]) =>
    process.stdout.write(args.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));

  try {
    const summary = await runLocalPipeline({
      ...options,
      signal: controller.signal,
      progress: (line) => process.stderr.write(line + '\n'),
      onReady: (s) => {
        print(s);
        process.stderr.write(
          `\nserving until Ctrl-C:\n` +
            `  curl -s ${s.predict.url}/model\n` +
            `  curl -s -X POST ${s.predict.url}/predict -H 'content-type: application/json' \\\n` +
            `    -d '${JSON.stringify({ rows: [s.predict.samples[0].row] }).replace(/'/g, "'\\''")}'\n` +
            `  AWS_ENDPOINT_URL=${s.moto.endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing ` +
            `aws s3 ls s3://${s.buckets.curated} --recursive\n`,
        );
      },
    });
    if (interrupted && args.options.keepRunning) {
      process.stderr.write(`${interrupted}: stopped moto_server and the API\n`);
      return EXIT.ok;
    }
    if (!args.options.keepRunning) print(summary);
    const ok = summary.preprocess.reconciled;
    if (!ok)
      process.stderr.write('factory local: the row counts do not reconcile (see the Cleaning table)\n');
    return ok ? EXIT.ok : EXIT.failure;
  } catch (error) {
    if (error instanceof UserDataError) {
      console.error(`factory local: ${error.message}`);
      return EXIT.failure;
    }
    if (error instanceof MotoMissingError) {
      console.error(error.message);
      return EXIT.failure;
    }
    if (interrupted) {
      process.stderr.write(`${interrupted}: stopped; moto_server and the trainer hosts are gone\n`);
      return interrupted === 'SIGINT' ? 130 : 143;
    }
    return fail('local', error);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
