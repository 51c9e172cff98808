import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { configFromContext } from '../../../lib/config';
import { athenaQueryUsd, idleCost, millionPredictionsCost, price } from '../../../lib/cost/estimate';
import { estimatePlatform, templatesOf, type CostEstimate } from '../../../lib/cost/platform-cost';
import { createPlatform } from '../../../lib/platform';
import { CDK_JSON_CONTEXT } from '../../support/synth';

/** The platform of a config, synthesized, with its estimate and its templates' resources. */
function priced(factory: Record<string, unknown>): {
  estimate: CostEstimate;
  resources: Map<string, string>;
} {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, factory, 'aws:cdk:bundling-stacks': [] } });
  const config = configFromContext(app.node.getAllContext());
  const platform = createPlatform(app, config);
  const assembly = app.synth();
  const resources = new Map<string, string>();
  for (const stack of templatesOf(assembly))
    for (const [id, r] of Object.entries(stack.resources)) resources.set(`${stack.stackName}/${id}`, r.Type);
  return { estimate: estimatePlatform(platform, config, assembly), resources };
}

const CONFIGS: [string, Record<string, unknown>][] = [
  ['dev', {}],
  ['dev on Batch', { training: { engine: 'batch' } }],
  ['prod', { stage: 'prod' }],
  ['prod on Batch', { stage: 'prod', training: { engine: 'batch' } }],
  ['dev with Cognito and a NAT gateway', { serving: { auth: 'cognito' }, network: { natGateways: 1 } }],
];

describe.each(CONFIGS)('the cost estimate of %s', (_name, factory) => {
  const { estimate, resources } = priced(factory);

  it('prices every resource the templates declare, each once', () => {
    expect(estimate.unpriced).toEqual([]);
    let counted = 0;
    for (const item of estimate.items) {
      const group = /^(\d+) × (.+)$/.exec(item.resource);
      if (group) {
        counted += Number(group[1]);
        expect([...resources.values()]).toContain(group[2]);
      } else {
        counted += 1;
        expect(resources.has(item.resource)).toBe(true);
      }
      expect(item.basis.length).toBeGreaterThan(0);
    }
    expect(counted).toBe(resources.size);
  });

  it('adds the idle items up to the idle figure', () => {
    expect(estimate.idleMonthlyUsd).toBeCloseTo(
      estimate.items.reduce((s, i) => s + i.monthlyUsd, 0),
      10,
    );
  });
});

describe('the cost estimate', () => {
  it('keeps the lean dev platform on SageMaker under $50 a month idle: keys, WAF, dashboard, alarms', () => {
    const { estimate } = priced({});
    expect(estimate.networkProfile).toBe('lean');
    // $16.00 before drift monitoring, plus its two alarms, its 12 custom metrics (DriftPsi for each
    // of 10 features, DriftedFeatures, DriftServedRows) and a daily run billed for its 300 s timeout.
    const driftStep = 2 * 0.1 + 12 * 0.3 + (730 / 24) * (0.2 / 1e6 + 0.25 * 300 * 0.0000133334);
    expect(estimate.idleMonthlyUsd).toBeCloseTo(16.0 + driftStep, 10);
    expect(estimate.items.filter((i) => i.resource.includes('VPCEndpoint') && i.monthlyUsd > 0)).toEqual([]);
  });

  it('prices each interface endpoint per AZ-hour: prod keeps sagemaker.api in two AZs', () => {
    const { estimate } = priced({ stage: 'prod' });
    const endpoint = estimate.items.find((i) => /SageMakerApi/.test(i.resource))!;
    expect(endpoint.monthlyUsd).toBeCloseTo(2 * 730 * price('interfaceEndpointHour'), 10);
    expect(endpoint.basis).toBe('interface endpoint in 2 AZs × 730 h × $0.01/AZ-hour');
  });

  it('prices one training run at the planned p and T of the training stack', () => {
    const { estimate } = priced({});
    const [, p, seconds] = /^p = (\d+) × ml\.m5\.xlarge × ([\d.]+) s \(the planner's T\)/.exec(
      estimate.perTrainingRun[0].basis,
    )!;
    expect(estimate.perTrainingRun[0].usd).toBeCloseTo((Number(p) * Number(seconds) * 0.23) / 3600, 4);
  });

  it('says when the deployment region has no price table', () => {
    const { estimate } = priced({ region: 'eu-west-1', account: '123456789012' });
    expect(estimate.prices.warning).toBe(
      'no price table for eu-west-1: us-east-1 list prices shown, eu-west-1 may differ',
    );
  });

  it('lists a resource type it has no rule for as unpriced, never as free', () => {
    const idle = idleCost([{ stackName: 'S', resources: { X: { Type: 'AWS::Neptune::DBCluster' } } }]);
    expect(idle.unpriced).toEqual(['AWS::Neptune::DBCluster']);
    expect(idle.items).toEqual([]);
  });

  it('lists Batch compute that keeps instances running (MinvCpus > 0) as unpriced, never as free', () => {
    const idle = idleCost([
      {
        stackName: 'S',
        resources: {
          Idle: { Type: 'AWS::Batch::ComputeEnvironment', Properties: { ComputeResources: { MinvCpus: 0 } } },
          Warm: { Type: 'AWS::Batch::ComputeEnvironment', Properties: { ComputeResources: { MinvCpus: 4 } } },
        },
      },
    ]);
    expect(idle.unpriced).toEqual(['AWS::Batch::ComputeEnvironment']);
    expect(idle.monthlyUsd).toBe(0);
  });

  it("prices an Athena query at the workgroup's cutoff: $5/TB, at least the 10 MB minimum", () => {
    expect(athenaQueryUsd(1_000_000_000)).toBeCloseTo(0.005, 12);
    expect(athenaQueryUsd(1)).toBeCloseTo(0.00005, 12);
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    createPlatform(app, configFromContext({ factory: { query: { bytesScannedCutoffMB: 10 } } }));
    const idle = idleCost(templatesOf(app.synth()));
    expect(idle.unpriced).toEqual([]);
    const workGroup = idle.items.find((i) => i.resource.endsWith('/WorkGroup'))!;
    expect(workGroup).toEqual({
      resource: 'AiaasFactory-dev-Query/WorkGroup',
      monthlyUsd: 0,
      basis: 'per query: $5/TB scanned (10 MB minimum); at most $0.000050 a query at its cutoff of 10 MB',
    });
  });

  it("prices the drift step's Logs Insights scan and its log bytes with the predictions", () => {
    const { estimate } = priced({});
    const logs = estimate.perMillionPredictions.find((l) => l.item === 'CloudWatch Logs')!;
    expect(logs.basis).toMatch(/^1460 bytes of logs per request \(260 of them drift counts\)/);
    const scan = estimate.perMillionPredictions.find((l) => l.item === 'Logs Insights (drift step)')!;
    expect(scan.usd).toBeCloseTo(1.46 * price('logsInsightsGbScanned'), 12);
    const step = estimate.items.find((i) => i.basis.startsWith('drift step:'))!;
    expect(step.resource).toMatch(/^AiaasFactory-dev-Monitoring\/Drift[0-9A-F]{8}$/);
    expect(step.basis).toMatch(/30 runs a month \(every 24 h\).* 12 custom metrics/);
  });

  it('bills a prediction at least Lambda’s 1 ms and at the function’s memory', () => {
    const lines = millionPredictionsCost({
      memoryMiB: 1024,
      billedMs: 1,
      waf: false,
      tracing: false,
      logRetentionDays: 30,
      modelCacheSeconds: 60,
    });
    expect(lines.find((l) => l.item === 'Lambda duration')!.usd).toBeCloseTo(
      1e6 * 0.001 * price('lambdaArmGbSecond'),
      12,
    );
  });
});

describe("the README's cost table", () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  it.each([
    ['dev (lean, SageMaker)', {}],
    ['dev, `-c factory.training.engine=batch` (lean)', { training: { engine: 'batch' } }],
    ['prod (isolated, SageMaker)', { stage: 'prod' }],
    ['prod, `-c factory.training.engine=batch` (isolated)', { stage: 'prod', training: { engine: 'batch' } }],
  ])('states what factory cost computes for %s', (label, factory) => {
    const { estimate } = priced(factory);
    const row = readme.split('\n').find((line) => line.startsWith(`| ${label} |`));
    expect(row).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    expect(cells[3]).toBe(`$${estimate.idleMonthlyUsd.toFixed(2)}`);
    expect(cells[4]).toBe(`$${estimate.perTrainingRunUsd.toFixed(3)}`);
    expect(cells[5].startsWith(`$${estimate.perMillionPredictionsUsd.toFixed(2)}`)).toBe(true);
  });
});
