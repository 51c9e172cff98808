import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { configFromContext } from '../../lib/config';
import { createPlatform } from '../../lib/platform';
import { addPolicyChecks } from '../../lib/policy-checks';
import { CDK_JSON_CONTEXT } from '../support/synth';

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}
interface Report {
  pluginReports: { pluginName: string; conclusion: string; violations: Violation[] }[];
}

/** Synthesizes with every policy plugin into a temp dir; returns the error (if any) and the report. */
function synthWithPolicies(declare: (app: App) => void): { error?: Error; report: Report } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'policy-'));
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT } });
  declare(app);
  addPolicyChecks(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  return { error, report };
}

/** cfn-guard findings from the report; cdk-nag v3 reports through synth errors instead. */
function guardViolationsOn(report: Report, constructPath: string): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations
      .filter((v) => v.violatingConstructs.some((c) => c.constructPath.startsWith(constructPath)))
      .map((v) => v.ruleName),
  );
}

describe('policy checks', () => {
  it.each([
    ['dev', {}],
    ['prod', {}],
    // Both network profiles on the Batch engine: its endpoints, and the record step's Batch role.
    ['dev', { training: { engine: 'batch' } }],
    ['prod', { training: { engine: 'batch' } }],
    // A fixed environment: acknowledgement ids must follow the literal account and region, and
    // nothing may need an AWS lookup (no credentials at synth).
    ['dev', { account: '123456789012', region: 'eu-west-1' }],
  ])('pass with every pack on the %s platform %j', (stage, environment) => {
    const { error, report } = synthWithPolicies((app) => {
      createPlatform(
        app,
        configFromContext({ factory: { stage, alarmEmail: 'ops@example.com', ...environment } }),
      );
    });
    const failures = report.pluginReports.flatMap((p) =>
      p.violations.map((v) => `${p.pluginName}:${v.ruleName}`),
    );
    expect(failures).toEqual([]);
    expect(error).toBeUndefined();
    expect(report.pluginReports.map((p) => p.conclusion)).toEqual(report.pluginReports.map(() => 'success'));
  });

  it('fail on a deliberately insecure bucket even after one of its findings is acknowledged', () => {
    const { error, report } = synthWithPolicies((app) => {
      const stack = new Stack(app, 'Throwaway');
      const bucket = new s3.Bucket(stack, 'Insecure', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: new s3.BlockPublicAccess({
          blockPublicAcls: false,
          blockPublicPolicy: false,
          ignorePublicAcls: false,
          restrictPublicBuckets: false,
        }),
      });
      // The cfn-guard plugin has been seen to report success after one acknowledgement while
      // other findings remained: acknowledge one and require the rest to still fail synth.
      Validations.of(bucket).acknowledge({
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason: 'test: one acknowledged finding must not hide the others',
      });
    });
    const message = error?.message ?? '';
    for (const finding of [
      "AwsSolutions::AwsSolutions-S1'",
      "AwsSolutions::AwsSolutions-S10'",
      "NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled'",
      "NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS'",
      "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check'",
      "cdk-validator-cfnguard::s3_bucket_logging_enabled_check'",
    ]) {
      expect(message).toContain(`Acknowledge with '${finding}`);
    }
    expect(message).not.toContain('s3_bucket_object_lock_enabled_check');
    const guard = report.pluginReports.find((p) => p.pluginName === 'cdk-validator-cfnguard');
    expect(guard?.conclusion).toBe('failure');
    expect(guardViolationsOn(report, 'Throwaway/Insecure')).toEqual(
      expect.arrayContaining(['s3_bucket_default_encryption_kms_check', 's3_bucket_logging_enabled_check']),
    );
    expect(guardViolationsOn(report, 'Throwaway/Insecure')).not.toContain(
      's3_bucket_object_lock_enabled_check',
    );
  });
});
