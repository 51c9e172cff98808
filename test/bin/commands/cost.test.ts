import { contextPairs, run } from '../../../bin/commands/cost';
import { captureOutput } from '../../support/console-capture';

/** Runs `factory cost ARGS` in-process: its exit code and what it printed. */
const cost = (args: string[]) => captureOutput(() => run(args));

describe('factory cost', () => {
  it('prints the documented JSON for the default dev configuration: idle, per run, per million, items', async () => {
    const { code, out } = await cost(['--json']);
    expect(code).toBe(0);
    const estimate = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(estimate)).toEqual(
      expect.arrayContaining(['idleMonthlyUsd', 'perTrainingRunUsd', 'perMillionPredictionsUsd', 'items']),
    );
    expect(estimate.idleMonthlyUsd).toBeLessThanOrEqual(50);
    for (const item of estimate.items as { resource: string; monthlyUsd: number; basis: string }[]) {
      expect(Object.keys(item)).toEqual(['resource', 'monthlyUsd', 'basis']);
    }
  });

  it('reads -c values as cdk synth does: prod on Batch keeps its endpoints in two AZs', async () => {
    const { out } = await cost(['--json', '-c', 'factory.stage=prod', '-c', 'factory.training.engine=batch']);
    const estimate = JSON.parse(out) as {
      networkProfile: string;
      items: { resource: string; basis: string }[];
    };
    expect(estimate.networkProfile).toBe('isolated');
    const endpoints = estimate.items.filter((i) => i.basis.startsWith('interface endpoint in 2 AZs'));
    // Batch's agents (ECS ×3, ECR ×2, Logs), Batch itself, and sagemaker.api for the Model Registry.
    expect(endpoints).toHaveLength(8);
  });

  it('fails on an invalid config naming the key', async () => {
    const { code, err } = await cost(['-c', 'factory.network.profile=open']);
    expect(code).toBe(1);
    expect(err).toContain('factory.network.profile: got "open"; allowed: "lean" | "isolated"');
  });

  it('refuses a -c without a value', () => {
    expect(() => contextPairs(['factory.stage'])).toThrow('-c factory.stage: expected key=value');
  });
});
