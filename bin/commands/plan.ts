/**
 * `factory plan --units N --deadline D [options]`: size capacity with T(p) = t0 + s + c·n/p.
 *
 * Prints a table of p, T, cost, speedup and efficiency around the chosen p (or, with --json, one
 * object). Exit codes: 0 a plan meets the deadline; 2 it cannot (the best achievable T is
 * printed); 1 invalid input (the message names the flag).
 */
import { parseArgs } from 'node:util';
import { DurationParseError, formatDuration, parseDuration } from '../../lambda/core/duration';
import { instanceFacts, UnknownInstanceTypeError } from '../../lambda/core/instance-facts';
import { plan, planTable, PlanInputError, type Plan, type PlanPoint } from '../../lambda/core/planner';
import { EXIT, fail, parseArgsMessage, UsageError } from './command-line';

export const PLAN_USAGE = `usage: factory plan --units N --deadline D [options]
  --units N              units of work n (rows): a whole number ≥ 1
  --deadline D           seconds, or with a unit: 90s, 30m, 2h
  --startup-seconds T0   start-up overhead per job, t0 (default 0)
  --serial-seconds S     serial seconds, the reduce (default 0)
  --seconds-per-unit C   seconds per unit per instance, c (default 1)
  --min-p A              fewest instances (default 1)
  --max-p B              most instances: the quota or per-job maximum (default n)
  --price-per-hour X     USD per instance-hour (default: the instance type's table price)
  --instance-type TYPE   e.g. ml.m5.xlarge or c5.2xlarge (vCPUs, memory and price from the table)
  --json                 print one JSON object instead of the table
Model: T(p) = t0 + s + c·n/p; with t0 = s = 0 and c = 1 it is T = n/p.
Exit codes: 0 deadline met; 2 deadline cannot be met (best T printed); 1 invalid input (one line on stderr).`;

export interface PlanCliOptions {
  readonly units: number;
  readonly deadlineSeconds: number;
  readonly startupSeconds: number;
  readonly serialSeconds: number;
  readonly secondsPerUnit: number;
  readonly minP: number;
  readonly maxP?: number;
  readonly pricePerHour?: number;
  readonly instanceType?: string;
  readonly json: boolean;
}

export type ParsedPlanArgs =
  | { readonly ok: true; readonly help: false; readonly options: PlanCliOptions }
  | { readonly ok: true; readonly help: true }
  | { readonly ok: false; readonly message: string };

const VALUE_FLAGS = [
  'units',
  'deadline',
  'startup-seconds',
  'serial-seconds',
  'seconds-per-unit',
  'min-p',
  'max-p',
  'price-per-hour',
  'instance-type',
] as const;

/** The flag each planner field comes from, so planner errors name what the user typed. */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  units: '--units',
  deadlineSeconds: '--deadline',
  startupSeconds: '--startup-seconds',
  serialSeconds: '--serial-seconds',
  secondsPerUnit: '--seconds-per-unit',
  minP: '--min-p',
  maxP: '--max-p',
  pricePerHour: '--price-per-hour',
};

class FlagError extends Error {}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function number(flag: string, text: string, rule: 'positive' | 'non-negative' | 'whole'): number {
  const value = NUMBER.test(text.trim()) ? Number(text) : NaN;
  const ok =
    Number.isFinite(value) &&
    (rule === 'positive'
      ? value > 0
      : rule === 'non-negative'
        ? value >= 0
        : Number.isSafeInteger(value) && value >= 1);
  if (!ok) {
    const want =
      rule === 'positive' ? 'a number > 0' : rule === 'non-negative' ? 'a number ≥ 0' : 'a whole number ≥ 1';
    throw new FlagError(`--${flag} must be ${want}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * `--units -5` is a value, not a flag: node's parseArgs refuses values starting with a dash
 * unless written `--units=-5`, so value flags are joined with their next token first.
 */
function joinValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const flag = token.startsWith('--') ? token.slice(2) : undefined;
    if (flag && (VALUE_FLAGS as readonly string[]).includes(flag)) {
      if (i + 1 >= argv.length) throw new FlagError(`--${flag} needs a value`);
      out.push(`--${flag}=${argv[++i]}`);
    } else {
      out.push(token);
    }
  }
  return out;
}

/** Parses and checks the arguments; pure (no I/O, no exit). */
export function parsePlanArgs(argv: readonly string[]): ParsedPlanArgs {
  try {
    const { values, positionals } = parseArgs({
      args: joinValues(argv),
      options: {
        ...Object.fromEntries(VALUE_FLAGS.map((f) => [f, { type: 'string' as const }])),
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) return { ok: true, help: true };
    if (positionals.length) throw new FlagError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const text = (flag: (typeof VALUE_FLAGS)[number]) =>
      (values as Record<string, string | boolean | undefined>)[flag] as string | undefined;
    const required = (flag: (typeof VALUE_FLAGS)[number]) => {
      const v = text(flag);
      if (v === undefined) throw new FlagError(`--${flag} is required`);
      return v;
    };
    const units = number('units', required('units'), 'whole');
    const deadlineText = required('deadline');
    let deadlineSeconds: number;
    try {
      deadlineSeconds = parseDuration(deadlineText);
    } catch (error) {
      if (error instanceof DurationParseError) throw new FlagError(`--deadline: ${error.message}`);
      throw error;
    }
    if (!(deadlineSeconds > 0))
      throw new FlagError(`--deadline must be more than 0 seconds, got ${JSON.stringify(deadlineText)}`);
    const optional = (flag: (typeof VALUE_FLAGS)[number], rule: 'positive' | 'non-negative' | 'whole') => {
      const v = text(flag);
      return v === undefined ? undefined : number(flag, v, rule);
    };
    const minP = optional('min-p', 'whole') ?? 1;
    const maxP = optional('max-p', 'whole');
    if (maxP !== undefined && minP > maxP)
      throw new FlagError(`--min-p (${minP}) must not exceed --max-p (${maxP})`);
    const instanceType = text('instance-type');
    if (instanceType !== undefined) {
      try {
        instanceFacts(instanceType);
      } catch (error) {
        if (error instanceof UnknownInstanceTypeError)
          throw new FlagError(`--instance-type: ${error.message}`);
        throw error;
      }
    }
    const pricePerHour = optional('price-per-hour', 'non-negative');
    return {
      ok: true,
      help: false,
      options: {
        units,
        deadlineSeconds,
        startupSeconds: optional('startup-seconds', 'non-negative') ?? 0,
        serialSeconds: optional('serial-seconds', 'non-negative') ?? 0,
        secondsPerUnit: optional('seconds-per-unit', 'positive') ?? 1,
        minP,
        ...(maxP !== undefined ? { maxP } : {}),
        ...(pricePerHour !== undefined ? { pricePerHour } : {}),
        ...(instanceType !== undefined ? { instanceType } : {}),
        json: Boolean(values.json),
      },
    };
  } catch (error) {
    if (error instanceof FlagError) return { ok: false, message: error.message };
    // parseArgs: unknown option, a value given to --json, ...
    const message = parseArgsMessage(error);
    if (message !== undefined) return { ok: false, message };
    throw error;
  }
}

/** The price in effect: --price-per-hour, else the instance type's table price, else none. */
export function effectivePrice(options: PlanCliOptions): number | undefined {
  if (options.pricePerHour !== undefined) return options.pricePerHour;
  return options.instanceType === undefined ? undefined : instanceFacts(options.instanceType).pricePerHour;
}

export function planOptionsToInput(options: PlanCliOptions) {
  const pricePerHour = effectivePrice(options);
  return {
    units: options.units,
    deadlineSeconds: options.deadlineSeconds,
    startupSeconds: options.startupSeconds,
    serialSeconds: options.serialSeconds,
    secondsPerUnit: options.secondsPerUnit,
    minP: options.minP,
    ...(options.maxP !== undefined ? { maxP: options.maxP } : {}),
    ...(pricePerHour !== undefined ? { pricePerHour } : {}),
  };
}

/** The --json object. */
export function planJson(result: Plan, options: PlanCliOptions): Record<string, unknown> {
  const pricePerHour = effectivePrice(options) ?? null;
  const base = {
    feasible: result.feasible,
    p: result.p,
    seconds: result.seconds,
    cost: result.cost,
    speedup: result.speedup,
    efficiency: result.efficiency,
    shards: result.shards,
    units: result.units,
    deadlineSeconds: result.deadlineSeconds,
    startupSeconds: options.startupSeconds,
    serialSeconds: options.serialSeconds,
    secondsPerUnit: options.secondsPerUnit,
    minP: result.minP,
    maxP: result.maxP,
    pricePerHour,
    instanceType: options.instanceType ?? null,
    ...(options.instanceType ? { vcpusPerInstance: instanceFacts(options.instanceType).vcpus } : {}),
  };
  if (result.feasible) return base;
  return {
    ...base,
    bestP: result.bestP,
    bestSeconds: result.bestSeconds,
    shortfallSeconds: result.shortfallSeconds,
    reason: result.reason,
    requiredP: result.requiredP,
  };
}

const fixed = (x: number, digits: number) => x.toFixed(digits);

/** The human table around the chosen p, the chosen row marked with `→`. */
export function formatPlan(result: Plan, options: PlanCliOptions): string {
  const pricePerHour = effectivePrice(options);
  const rows: PlanPoint[] = planTable(
    result.model,
    result.p,
    { minP: result.minP, maxP: result.maxP },
    {
      ...(pricePerHour !== undefined ? { pricePerHour } : {}),
    },
  );
  const header = ['', 'p', 'T (s)', 'T', 'cost (USD)', 'speedup', 'efficiency', 'shards'];
  const cells = rows.map((r) => [
    r.p === result.p ? '→' : '',
    String(r.p),
    fixed(r.seconds, 3),
    formatDuration(r.seconds),
    r.cost === null ? '-' : fixed(r.cost, 4),
    fixed(r.speedup, 3),
    `${fixed(r.efficiency * 100, 1)}%`,
    String(r.shards),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === 0 || i === 3 ? v.padEnd(widths[i]) : v.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const m = result.model;
  const lines = [
    `T(p) = t0 + s + c·n/p  with n = ${m.units} units, c = ${m.secondsPerUnit} s/unit, t0 = ${m.startupSeconds} s, s = ${m.serialSeconds} s`,
    `deadline ${result.deadlineSeconds} s (${formatDuration(result.deadlineSeconds)}), p in [${result.minP}, ${result.maxP}]` +
      (options.instanceType ? `, ${options.instanceType}` : '') +
      (pricePerHour !== undefined ? ` at $${pricePerHour}/h` : ''),
    '',
    line(header),
    ...cells.map(line),
    '',
  ];
  const cost = result.cost === null ? '' : `, cost $${fixed(result.cost, 4)}`;
  if (result.feasible) {
    lines.push(
      `p = ${result.p} meets the deadline: T = ${result.seconds} s (${formatDuration(result.seconds)})${cost}, ${result.shards} shards`,
    );
  } else {
    const why =
      result.reason === 'overhead'
        ? `no p can meet it: t0 + s = ${m.startupSeconds + m.serialSeconds} s already reach or pass the deadline`
        : `it needs p = ${result.requiredP} (raise --max-p)`;
    lines.push(
      `infeasible: best achievable T = ${result.bestSeconds} s (${formatDuration(result.bestSeconds)}) at p = ${result.bestP}, ` +
        `${result.shortfallSeconds} s over the ${result.deadlineSeconds} s deadline; ${why}`,
    );
  }
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  try {
    const parsed = parsePlanArgs(argv);
    if (!parsed.ok) throw new UsageError(parsed.message);
    if (parsed.help) {
      console.log(PLAN_USAGE);
      return EXIT.ok;
    }
    const { options } = parsed;
    let result: Plan;
    try {
      result = plan(planOptionsToInput(options));
    } catch (error) {
      if (error instanceof PlanInputError) {
        throw new UsageError(`${FIELD_FLAGS[error.field] ?? error.field}: ${error.message}`);
      }
      throw error;
    }
    console.log(options.json ? JSON.stringify(planJson(result, options)) : formatPlan(result, options));
    return result.feasible ? EXIT.ok : EXIT.infeasible;
  } catch (error) {
    return fail('plan', error);
  }
}
