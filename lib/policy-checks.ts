import { App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';

/**
 * Policy packs run at every synth: cdk-nag's AwsSolutions, NIST 800-53 R5 and Serverless packs
 * and the Control Tower proactive controls through cfn-guard. Any unacknowledged finding fails
 * synth; each acknowledgement sits next to the resource it concerns, with its reason.
 */
export function addPolicyChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new ServerlessChecks(app),
    new CfnGuardValidator({ controlTowerRulesEnabled: true }),
  );
}
