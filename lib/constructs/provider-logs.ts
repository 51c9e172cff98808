import { CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';

/** aws-cdk-lib's singleton custom-resource providers (S3 auto-delete, default-SG restriction). */
const PROVIDER_ID = /^Custom::.+CustomResourceProvider$/;

/**
 * Log groups for the Lambda functions of aws-cdk-lib's custom-resource providers. Lambda would
 * create `/aws/lambda/<function>` on the first invocation, never expiring and without a key; this
 * declares it with the platform's retention and the stack's house key. Every custom resource of
 * the stack waits for the group, so no invocation can create it first (CloudFormation would then
 * fail with "already exists").
 */
export function manageProviderLogs(
  stack: Stack,
  options: { readonly key: kms.IKey; readonly retentionDays: number; readonly removalPolicy: RemovalPolicy },
): void {
  const providers = stack.node.findAll().filter((node) => PROVIDER_ID.test(node.node.id));
  if (providers.length === 0) return;
  const customResources = stack.node
    .findAll()
    .filter(
      (node): node is CfnResource =>
        node instanceof CfnResource && node.cfnResourceType.startsWith('Custom::'),
    );
  for (const provider of providers) {
    const handler = provider.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource)) continue;
    const group = new logs.LogGroup(provider, 'Logs', {
      logGroupName: `/aws/lambda/${handler.ref}`,
      retention: options.retentionDays as logs.RetentionDays,
      encryptionKey: options.key,
      removalPolicy: options.removalPolicy,
    });
    Validations.of(group).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason:
        "Encrypted with the stack's house KMS key (KmsKeyId is a GetAtt the guard rule cannot resolve); a template test asserts it.",
    });
    for (const resource of customResources) resource.node.addDependency(group);
  }
}
