/**
 * `factory generate --rows N [--seed S] [--files K] --out PATH`
 *
 * Writes deterministic synthetic production data in the default schema (see
 * lambda/core/synthetic-data.ts) and the true model to `PATH.truth.json`. With `--files K` > 1 the
 * rows are split into K contiguous files named after PATH's stem: `data/line.csv` →
 * `data/line-001.csv`, `data/line-002.csv`, ...; the truth stays at `data/line.csv.truth.json`.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  SyntheticDataset,
  syntheticFileNames,
  type SyntheticOptions,
  type SyntheticTruth,
} from '../../lambda/core/synthetic-data';
import { EXIT, OK_OR_FAILURE_HELP, fail, parseFlags, UsageError } from './command-line';

export const GENERATE_USAGE = `usage: factory generate --rows N [--seed S] [--files K] --out PATH
  --rows N    rows to write in total (about 1% are duplicates)
  --seed S    PRNG seed; the same seed writes the same bytes (default 42)
  --files K   split into K files: PATH stem + -001.csv, -002.csv, ... (default 1: PATH itself)
  --out PATH  output CSV; the true weights go to PATH.truth.json
${OK_OR_FAILURE_HELP}`;

export interface WrittenDataset {
  readonly paths: string[];
  readonly truthPath: string;
  readonly truth: SyntheticTruth;
  readonly bytes: number;
}

/**
 * Streams every file to disk in ~2048-row chunks (memory stays flat at any size) and writes the
 * truth document. Used by this command and the local pipeline.
 */
export function writeSyntheticDataset(options: SyntheticOptions & { readonly out: string }): WrittenDataset {
  const dataset = new SyntheticDataset(options);
  const names = syntheticFileNames(options.out, dataset.fileCount);
  mkdirSync(dirname(options.out), { recursive: true });
  let bytes = 0;
  for (let k = 0; k < dataset.fileCount; k++) {
    const fd = openSync(names.files[k], 'w');
    try {
      for (const chunk of dataset.fileChunks(k)) {
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
        bytes += chunk.length;
      }
    } finally {
      closeSync(fd);
    }
  }
  const truth = dataset.truth();
  writeFileSync(names.truth, JSON.stringify(truth, null, 2) + '\n');
  return { paths: names.files, truthPath: names.truth, truth, bytes };
}

function wholeNumber(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  }
  return Number(text);
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values } = parseFlags({
      args: argv,
      options: {
        rows: { type: 'string' },
        seed: { type: 'string' },
        files: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
    if (values.help) {
      console.log(GENERATE_USAGE);
      return EXIT.ok;
    }
    if (!values.out) throw new UsageError('--out is required');
    const options: SyntheticOptions & { out: string } = {
      rows: wholeNumber('rows', values.rows),
      seed: wholeNumber('seed', values.seed, 42),
      files: wholeNumber('files', values.files, 1),
      out: values.out,
    };
    if (options.files! < 1) throw new UsageError('--files must be at least 1');
    const started = process.hrtime.bigint();
    const written = writeSyntheticDataset(options);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const mb = written.bytes / 1e6;
    const { truth } = written;
    console.log(
      `wrote ${truth.rows} rows (${truth.duplicates} duplicates, ${truth.missingCells} empty cells) ` +
        `in ${written.paths.length} file(s), ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s ` +
        `(${(mb / seconds).toFixed(0)} MB/s)`,
    );
    for (const path of written.paths) console.log(`  ${path}`);
    console.log(`  ${written.truthPath}`);
    return EXIT.ok;
  } catch (error) {
    return fail('generate', error);
  }
}
