import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { checkObjectLockGrant, type ObjectLockGrantOptions } from '../../../lib/rules/object-lock-grant';
import { CROSS_STACK_REFERENCES, messages, synthAssembly } from './synth-assembly';

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

  describe('on buckets without Object Lock (S3 refuses retention and legal holds there)', () => {
    /** A role of the pipeline stack and what `grant` gives it on an artifact bucket without Object Lock. */
    function pipeline(
      grant: (artifacts: s3.Bucket, role: iam.Role, app: App) => void,
      context?: Record<string, unknown>,
      artifactsStack?: (app: App) => Stack,
    ) {
      const assembly = synthAssembly((app) => {
        const stack = new Stack(app, 'Pipeline');
        const artifacts = new s3.Bucket(artifactsStack?.(app) ?? stack, 'Artifacts', { versioned: true });
        const role = new iam.Role(stack, 'SynthRole', {
          assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
        });
        grant(artifacts, role, app);
      }, context);
      return messages(checkObjectLockGrant(assembly));
    }

    it('passes bucket.grantReadWrite, as CDK Pipelines grants its roles on the artifact bucket', () => {
      expect(pipeline((artifacts, role) => artifacts.grantReadWrite(role))).toEqual([]);
    });

    it.each(CROSS_STACK_REFERENCES)('passes it across a $mode cross-stack reference', ({ context }) => {
      expect(
        pipeline(
          (artifacts, role) => artifacts.grantReadWrite(role),
          context,
          (app) => new Stack(app, 'Artifacts'),
        ),
      ).toEqual([]);
    });

    it('still reports s3:PutBucketObjectLockConfiguration there, which can turn Object Lock on', () => {
      const found = pipeline((artifacts, role) =>
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['s3:PutBucketObjectLockConfiguration'],
            resources: [artifacts.bucketArn],
          }),
        ),
      );

      expect(found).toEqual([
        expect.stringMatching(
          /^\[Factory-ObjectLockGrant\] Pipeline\/SynthRoleDefaultPolicy[0-9A-F]{8}: S3 will let role Pipeline\/SynthRole[0-9A-F]{8} change the bucket's default retention for every new object version on \$\{Artifacts[0-9A-F]{8}\.Arn\}: it grants s3:PutBucketObjectLockConfiguration,/,
        ),
      ]);
    });

    it('names only the resources that can reach a bucket with Object Lock', () => {
      const found = pipeline((artifacts, role, app) => {
        const models = new s3.Bucket(new Stack(app, 'DataLake'), 'Models', { objectLockEnabled: true });
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['s3:PutObjectLegalHold'],
            resources: [artifacts.arnForObjects('*'), models.arnForObjects('*')],
          }),
        );
      });

      expect(found).toEqual([
        expect.stringMatching(/ on \$\{Models[0-9A-F]{8}\.Arn\}\/\*: it grants s3:PutObjectLegalHold,/),
      ]);
    });

    it.each([
      ['*'],
      ['arn:aws:s3:::*'],
      ['arn:aws:s3:::factory-*/*'],
      ['arn:aws:s3:::a-bucket-of-another-app/*'],
    ])('reports them on %s, which may be a bucket with Object Lock', (resource) => {
      const found = pipeline((_artifacts, role) =>
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['s3:PutObjectRetention'], resources: [resource] }),
        ),
      );

      expect(found).toEqual([expect.stringContaining(` on ${resource}: it grants s3:PutObjectRetention,`)]);
    });

    it('reports them in a NotResource statement, which covers every other resource', () => {
      const found = pipeline((artifacts, role) =>
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['s3:PutObjectRetention'],
            notResources: [artifacts.bucketArn],
          }),
        ),
      );

      expect(found).toEqual([expect.stringMatching(/ on NotResource \$\{Artifacts[0-9A-F]{8}\.Arn\}: /)]);
    });

    it('reads a literal ARN by bucket name: passes a bucket of the assembly without Object Lock, reports one with it', () => {
      const grantOn = (name: string, locked: boolean) => {
        const assembly = synthAssembly((app) => {
          const stack = new Stack(app, 'Pipeline');
          new s3.Bucket(stack, 'Named', { bucketName: name, versioned: true, objectLockEnabled: locked });
          new iam.Role(stack, 'SynthRole', {
            assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
          }).addToPrincipalPolicy(
            new iam.PolicyStatement({
              actions: ['s3:PutObjectLegalHold'],
              resources: [`arn:aws:s3:::${name}/*`],
            }),
          );
        });
        return messages(checkObjectLockGrant(assembly));
      };

      expect(grantOn('factory-artifacts', false)).toEqual([]);
      expect(grantOn('factory-models', true)).toEqual([
        expect.stringContaining(' on arn:aws:s3:::factory-models/*: it grants s3:PutObjectLegalHold,'),
      ]);
    });
  });
});
