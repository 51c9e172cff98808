import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { checkObjectLockGrant, type ObjectLockGrantOptions } from '../../../lib/rules/object-lock-grant';
import { messages, synthAssembly } from './synth-assembly';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');

/** A data-lake bucket and, in another stack, whatever `grant` gives a function and a role of the training stack. */
function training(
  grant: (bucket: s3.Bucket, fn: lambda.Function, role: iam.Role) => void,
  options?: ObjectLockGrantOptions,
) {
  const assembly = synthAssembly((app) => {
    const dataLake = new Stack(app, 'DataLake');
    const models = new s3.Bucket(dataLake, 'Models', { versioned: true, objectLockEnabled: true });
    const stack = new Stack(app, 'Training');
    const fn = new lambda.Function(stack, 'Promote', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code,
    });
    const role = new iam.Role(stack, 'BatchJobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    grant(models, fn, role);
  });
  return messages(checkObjectLockGrant(assembly, options));
}

describe('Factory-ObjectLockGrant', () => {
  it('reports bucket.grantPut, as NodeFunction.bindBucket({ write: true }) uses it: its actions include legal hold and retention', () => {
    const found = training((bucket, fn) => bucket.grantPut(fn, 'models/*'));

    expect(found).toEqual([
      expect.stringMatching(
        /^\[Factory-ObjectLockGrant\] Training\/PromoteServiceRoleDefaultPolicy[0-9A-F]{8}: S3 will let role Training\/PromoteServiceRole[0-9A-F]{8} put a retention on object versions .*; put legal holds .* on \$\{Models[0-9A-F]{8}\.Arn\}\/models\/\*: it grants s3:PutObjectRetention, s3:PutObjectLegalHold, and a locked version blocks emptying and deleting the bucket until the lock ends\.$/,
      ),
    ]);
  });

  it('reports bucket.grantReadWrite (the SageMaker and Batch job roles of the training stack)', () => {
    expect(training((bucket, _fn, role) => bucket.grantReadWrite(role, 'training/*'))).toEqual([
      expect.stringContaining('[Factory-ObjectLockGrant] Training/BatchJobRoleDefaultPolicy'),
    ]);
  });

  it('passes reads and an explicit list of the object actions a writer needs', () => {
    const found = training((bucket, fn, role) => {
      bucket.grantRead(fn, 'models/*');
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
          resources: [bucket.arnForObjects('training/*')],
        }),
      );
    });

    expect(found).toEqual([]);
  });

  it.each([['s3:PutObject*'], ['s3:Put*'], ['s3:*'], ['*']])('reports the wildcard %s', (action) => {
    const found = training((bucket, _fn, role) =>
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [action], resources: [bucket.arnForObjects('*')] }),
      ),
    );

    expect(found).toEqual([expect.stringContaining(`s3:PutObjectRetention (through ${action})`)]);
  });

  it('reports a NotAction statement that leaves the lock actions in', () => {
    const found = training((bucket, _fn, role) =>
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ notActions: ['s3:DeleteObject*'], resources: [bucket.arnForObjects('*')] }),
      ),
    );

    expect(found).toEqual([
      expect.stringContaining('s3:BypassGovernanceRetention (through NotAction s3:DeleteObject*)'),
    ]);
  });

  it("reports a role's inline policy", () => {
    const found = synthAssembly((app) => {
      const stack = new Stack(app, 'Training');
      new iam.Role(stack, 'Admin', {
        assumedBy: new iam.AccountRootPrincipal(),
        inlinePolicies: {
          lock: new iam.PolicyDocument({
            statements: [new iam.PolicyStatement({ actions: ['s3:PutObjectLegalHold'], resources: ['*'] })],
          }),
        },
      });
    });

    expect(messages(checkObjectLockGrant(found))).toEqual([
      expect.stringMatching(
        /^\[Factory-ObjectLockGrant\] Training\/Admin[0-9A-F]{8}: S3 will let role Training\/Admin[0-9A-F]{8} put legal holds/,
      ),
    ]);
  });

  it('reports s3:PutBucketObjectLockConfiguration, unless the role is named as an Object Lock administrator', () => {
    const grantConfiguration = (bucket: s3.Bucket, _fn: lambda.Function, role: iam.Role) =>
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutBucketObjectLockConfiguration'],
          resources: [bucket.bucketArn],
        }),
      );

    expect(training(grantConfiguration)).toEqual([
      expect.stringContaining("change the bucket's default retention"),
    ]);
    expect(training(grantConfiguration, { adminRoles: ['Training/BatchJobRole37A83758'] })).toEqual([]);
  });

  it("passes CDK's auto-delete-objects provider, which needs s3:DeleteObject* and none of the lock actions", () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      new s3.Bucket(stack, 'Raw', {
        versioned: true,
        objectLockEnabled: true,
        removalPolicy: RemovalPolicy.DESTROY,
        autoDeleteObjects: true,
      });
    });

    expect(messages(checkObjectLockGrant(assembly))).toEqual([]);
  });

  it('does not count a Deny statement as a grant', () => {
    const found = training((bucket) =>
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject*'],
          resources: [bucket.arnForObjects('*')],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ),
    );

    expect(found).toEqual([]);
  });
});
