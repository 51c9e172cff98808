import {
  App,
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1,
  Validations,
} from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { FactoryChecks } from './rules/factory-checks';

/**
 * The cfn-guard plugin reports violations without a severity. Once any finding of the app is
 * acknowledged, aws-cdk-lib recomputes each report's success as "no error-severity violation
 * left", so every remaining cfn-guard finding silently passed. This wrapper marks them as
 * errors (test/lib/policy-checks.test.ts keeps a real violation failing).
 */
class StrictCfnGuardValidator implements IPolicyValidationPluginBeta1 {
  private readonly inner = new CfnGuardValidator({ controlTowerRulesEnabled: true });
  readonly name = this.inner.name;
  readonly version = this.inner.version;
  readonly ruleIds = this.inner.ruleIds;

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.inner.validate(context);
    return {
      ...report,
      violations: report.violations.map((violation) => ({
        ...violation,
        severity: violation.severity ?? 'error',
      })),
    };
  }
}

/**
 * Policy packs run at every synth: cdk-nag's AwsSolutions, NIST 800-53 R5 and Serverless packs,
 * the Control Tower proactive controls through cfn-guard, and the project's own pack (lib/rules)
 * for what those pass but AWS refuses at deploy or run time. Any unacknowledged finding fails
 * synth; each acknowledgement sits next to the resource it concerns, with its reason.
 */
export function addPolicyChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new ServerlessChecks(app),
    new StrictCfnGuardValidator(),
    new FactoryChecks(),
  );
}
