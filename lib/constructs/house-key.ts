import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { denyGrantsNotForAwsResources } from './key-policy';

export interface HouseKeyProps {
  readonly description: string;
  /** `prod` retains the key (and waits 30 days before deletion); `dev` destroys it after 7. */
  readonly stage: 'dev' | 'prod';
  /** Let this account's CloudWatch Logs log groups encrypt with the key. @default true */
  readonly admitLogs?: boolean;
}

/**
 * The house customer-managed key: rotation on, grants only for AWS resources (Control Tower
 * CT.KMS.PR.3), and optionally usable by CloudWatch Logs, scoped by encryption context to this
 * account's log groups so no other account's logs can use it.
 */
export function houseKey(scope: Construct, id: string, props: HouseKeyProps): kms.Key {
  const dev = props.stage === 'dev';
  const key = new kms.Key(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    removalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(dev ? 7 : 30),
  });
  if (props.admitLogs ?? true) {
    const stack = Stack.of(scope);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
  }
  key.addToResourcePolicy(denyGrantsNotForAwsResources());
  return key;
}
