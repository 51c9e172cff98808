/**
 * `factory cost [--json] [-c key=value ...]`: what the platform of a configuration costs, idle per
 * month, per training run and per million predictions, each item with its basis.
 *
 * The configuration is cdk.json's context with `-c` values over it, exactly as `cdk synth -c ...`
 * reads it (`-c factory.stage=prod`, `-c factory.training.engine=batch`, `-c factory='{...}'`).
 * The platform is synthesized in-process (templates only, a few seconds) and every resource of its
 * templates priced from lib/cost/prices.json; the training run from the planner's instance table.
 */
import { ConfigError, configFromContext } from '../../lib/config';
import type { CostEstimate } from '../../lib/cost/platform-cost';
import { cdkJsonContext } from '../local/platform-config';
import { EXIT, fail, OK_OR_FAILURE_HELP, parseFlags, UsageError } from './command-line';

export const COST_USAGE = `usage: factory cost [--json] [-c key=value ...]
  -c, --context K=V   a context value, as for cdk synth (repeatable): factory.stage=prod,
                      factory.training.engine=batch, factory.network.profile=isolated, factory='{...}'
  --json              print one JSON object: {"idleMonthlyUsd", "perTrainingRunUsd",
                      "perMillionPredictionsUsd", "items": [{"resource", "monthlyUsd", "basis"}], ...}
Prices: lib/cost/prices.json (list prices of one region and date, each with its pricing page).
${OK_OR_FAILURE_HELP}`;

/** `-c` pairs into context, values as the CDK CLI passes them (text; the config reads JSON). */
export function contextPairs(pairs: readonly string[]): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-c ${pair}: expected key=value`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

const money = (n: number): string =>
  n !== 0 && Math.abs(n) < 0.01 ? `$${n.toPrecision(2)}` : `$${n.toFixed(2)}`;

/** The estimate as a person reads it. */
export function formatCost(e: CostEstimate): string {
  const charged = e.items.filter((i) => i.monthlyUsd > 0);
  const free = e.items.filter((i) => i.monthlyUsd === 0);
  const width = Math.max(...e.items.map((i) => i.resource.length), 8);
  const line = (name: string, value: string, basis: string) =>
    `  ${name.padEnd(width)}  ${value.padStart(9)}  ${basis}`;
  return [
    `Cost of ${e.stage} (network ${e.networkProfile}, training on ${e.engine}), ${e.prices.region} list prices of ${e.prices.date}${e.prices.warning ? `\nwarning: ${e.prices.warning}` : ''}`,
    '',
    `Idle        ${money(e.idleMonthlyUsd)} a month`,
    ...charged.map((i) => line(i.resource, money(i.monthlyUsd), i.basis)),
    ...free.map((i) => line(i.resource, money(0), i.basis)),
    '',
    `Training    ${money(e.perTrainingRunUsd)} per run`,
    ...e.perTrainingRun.map((l) => line(l.item, money(l.usd), l.basis)),
    '',
    `Serving     ${money(e.perMillionPredictionsUsd)} per million predictions (${e.predictionsPerUsd.toLocaleString('en-US')} per dollar)`,
    ...e.perMillionPredictions.map((l) => line(l.item, money(l.usd), l.basis)),
    ...(e.unpriced.length ? ['', `unpriced resource types: ${e.unpriced.join(', ')}`] : []),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values } = parseFlags({
      args: argv,
      options: {
        context: { type: 'string', short: 'c', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(COST_USAGE);
      return EXIT.ok;
    }
    const context = { ...cdkJsonContext(), ...contextPairs(values.context ?? []) };
    let config;
    try {
      config = configFromContext(context);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
      throw error;
    }
    // aws-cdk-lib loads only here: `factory cost --help` stays fast.
    const { estimateConfig } = await import('../../lib/cost/platform-cost');
    const estimate = estimateConfig(context, config);
    console.log(values.json ? JSON.stringify(estimate) : formatCost(estimate));
    return estimate.unpriced.length ? EXIT.failure : EXIT.ok;
  } catch (error) {
    return fail('cost', error);
  }
}
