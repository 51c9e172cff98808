import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FactoryChecks } from '../../../lib/rules/factory-checks';
import { CDK_JSON_CONTEXT } from '../../support/synth';

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; description: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Synthesizes with the pack registered; returns the synth error (if any) and the pack's report. */
function synthWithPack(declare: (app: App) => void): {
  error?: Error;
  report: Report['pluginReports'][number];
} {
  const outdir = mkdtempSync(path.join(tmpdir(), 'factory-checks-'));
  const app = new App({ outdir, context: CDK_JSON_CONTEXT });
  declare(app);
  Validations.of(app).addPlugins(new FactoryChecks());
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  return { error, report: report.pluginReports.find((p) => p.pluginName === 'Factory')! };
}

/** A log group in one stack encrypted with a key of another that does not admit CloudWatch Logs. */
function crossStackLogGroup(app: App): logs.LogGroup {
  const key = new kms.Key(new Stack(app, 'DataLake', { stackName: 'Factory-dev-DataLake' }), 'Key');
  return new logs.LogGroup(new Stack(app, 'Serving', { stackName: 'Factory-dev-Serving' }), 'AccessLogs', {
    encryptionKey: key,
  });
}

describe('FactoryChecks', () => {
  it('fails synth on a finding, naming rule, stack, logical id and construct, across stacks read from the assembly', () => {
    const { error, report } = synthWithPack((app) => crossStackLogGroup(app));

    expect(error?.message).toContain("Acknowledge with 'Factory::Factory-KmsServicePrincipal'");
    expect(report.conclusion).toBe('failure');
    expect(report.violations).toEqual([
      expect.objectContaining({
        ruleName: 'Factory-KmsServicePrincipal',
        description: expect.stringMatching(
          /^\[Factory-KmsServicePrincipal\] Factory-dev-Serving\/AccessLogs[0-9A-F]{8}: CloudWatch Logs will refuse .* Factory-dev-DataLake\/Key[0-9A-F]{8} /,
        ),
        violatingConstructs: [expect.objectContaining({ constructPath: 'Serving/AccessLogs/Resource' })],
      }),
    ]);
  });

  it('passes once the finding is acknowledged at the resource with the namespaced rule id', () => {
    const { error, report } = synthWithPack((app) => {
      Validations.of(crossStackLogGroup(app)).acknowledge({
        id: 'Factory::Factory-KmsServicePrincipal',
        reason: 'test: an acknowledged finding passes',
      });
    });

    expect(error).toBeUndefined();
    expect(report.violations).toEqual([]);
  });

  it('keeps every other finding failing after one is acknowledged', () => {
    const { error } = synthWithPack((app) => {
      Validations.of(crossStackLogGroup(app)).acknowledge({
        id: 'Factory::Factory-KmsServicePrincipal',
        reason: 'test: one acknowledged finding must not hide the others',
      });
      const stack = new Stack(app, 'Training');
      const role = new iam.Role(stack, 'Writer', {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      });
      new s3.Bucket(stack, 'Models', { objectLockEnabled: true }).grantPut(role);
    });

    expect(error?.message).toContain("Acknowledge with 'Factory::Factory-ObjectLockGrant'");
    expect(error?.message).not.toContain('Factory-KmsServicePrincipal');
  });
});
