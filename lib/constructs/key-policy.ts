import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Control Tower CT.KMS.PR.3: grants on a key may be created only by AWS services acting for the
 * platform (S3, Logs, SageMaker), never handed out by a principal directly.
 */
export function denyGrantsNotForAwsResources(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyGrantsNotForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}
