/**
 * Any column name a CSV header can hold, through the deployable config (issue 13, item 3): the
 * dataset as `-c factory='{"dataset": ...}'` gives it (a JSON string in context), its names carried
 * unchanged to the functions and the trainer, and the whole platform clean under every policy pack.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { configFromContext, ConfigError, DATASET_SCHEMA_MAX_CHARACTERS } from '../../lib/config';
import { createPlatform } from '../../lib/platform';
import { addPolicyChecks } from '../../lib/policy-checks';
import { decodeSchema } from '../../lambda/core/dataset-schema';
import { CDK_JSON_CONTEXT } from '../support/synth';

/** The schema `factory schema` prints for test/fixtures/real-shaped/milling.csv: no timestamp. */
const REAL_SHAPED = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'real-shaped', 'milling.schema.json'), 'utf8'),
) as { ids: string[]; category: string; features: string[]; target: string };

/** `-c factory='...'`: CDK hands the value over as the string the shell passed. */
const asCliContext = (factory: unknown) => ({ factory: JSON.stringify(factory) });

describe('the dataset section of the config', () => {
  test('takes column names with spaces, brackets, units, commas and non-ASCII text, without a timestamp', () => {
    const dataset = { ...REAL_SHAPED, features: [...REAL_SHAPED.features, 'Druck, "roh" [bar]', '温度 °C'] };
    expect(configFromContext(asCliContext({ dataset })).dataset).toEqual(dataset);
  });

  test('ids default to none and -c factory.dataset=... works like the whole object', () => {
    const { ids: _ids, ...noIds } = REAL_SHAPED;
    expect(configFromContext({ 'factory.dataset': JSON.stringify(noIds) }).dataset).toEqual({
      ...noIds,
      ids: [],
    });
  });

  test.each([
    [{ ...REAL_SHAPED, target: '' }, 'factory.dataset.target: got ""; must be a non-empty column name'],
    [{ ...REAL_SHAPED, ids: ['Torque [Nm]'] }, 'dataset schema: column "Torque [Nm]" is named twice'],
  ])('refuses %j naming the key and the rule', (dataset, problem) => {
    expect(() => configFromContext(asCliContext({ dataset }))).toThrow(ConfigError);
    try {
      configFromContext(asCliContext({ dataset }));
    } catch (error) {
      const problems = (error as ConfigError).problems;
      // One line for the one problem, naming the key.
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^factory\.dataset/);
      expect(problems[0].endsWith(problem)).toBe(true);
    }
  });

  test('refuses a schema longer than a SageMaker hyperparameter can carry, saying so', () => {
    const features = Array.from({ length: 64 }, (_, i) => `sensor ${i} ${'x'.repeat(40)}`);
    expect(() => configFromContext(asCliContext({ dataset: { ...REAL_SHAPED, features } }))).toThrow(
      new RegExp(`more than the ${DATASET_SCHEMA_MAX_CHARACTERS} a SageMaker hyperparameter holds`),
    );
  });
});

interface Report {
  pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string }[] }[];
}

describe('cdk synth -c factory=\'{"dataset": <names like "Torque [Nm]">}\'', () => {
  let error: Error | undefined;
  let report: Report;
  let app: App;
  beforeAll(() => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'policy-dataset-'));
    app = new App({
      outdir,
      context: {
        ...CDK_JSON_CONTEXT,
        ...asCliContext({ dataset: REAL_SHAPED, alarmEmail: 'ops@example.com' }),
      },
    });
    createPlatform(app, configFromContext(app.node.getAllContext()));
    addPolicyChecks(app);
    try {
      app.synth();
    } catch (e) {
      error = e as Error;
    }
    report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  });

  test('passes every policy pack', () => {
    const failures = report.pluginReports.flatMap((p) =>
      p.violations.map((v) => `${p.pluginName}:${v.ruleName}`),
    );
    expect(failures).toEqual([]);
    expect(error).toBeUndefined();
    expect(report.pluginReports.map((p) => p.conclusion)).toEqual(report.pluginReports.map(() => 'success'));
  });

  test('makes no resource, output or metric name from a column name: they travel only as JSON values', () => {
    const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
    for (const stack of stacks) {
      const template = Template.fromStack(stack).toJSON() as {
        Resources?: Record<string, { Properties?: Record<string, unknown> }>;
        Outputs?: Record<string, unknown>;
      };
      const ids = [...Object.keys(template.Resources ?? {}), ...Object.keys(template.Outputs ?? {})];
      expect(ids.filter((id) => /Torque|Nm|Tool/.test(id))).toEqual([]);
      const metricNames = Object.values(template.Resources ?? {})
        .map((r) => r.Properties?.MetricName)
        .filter((m): m is string => typeof m === 'string');
      expect(metricNames.filter((m) => m.includes('[') || m.includes(' '))).toEqual([]);
    }
  });

  test('hands the names unchanged to the preprocess function', () => {
    const stack = app.node.findAll().find((c) => c.node.id.endsWith('-Preprocess'));
    expect(stack).toBeDefined();
    const template = Template.fromStack(stack as never);
    const fns = template.findResources('AWS::Lambda::Function');
    const schemas = Object.values(fns)
      .map((f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties)
      .flatMap((p) => Object.values(p.Environment?.Variables ?? {}))
      .filter((v): v is string => typeof v === 'string' && v.includes('Torque [Nm]'));
    expect(schemas.map((s) => decodeSchema(s))).toEqual([REAL_SHAPED]);
  });
});
