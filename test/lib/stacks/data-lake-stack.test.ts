import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('data-lake stack', () => {
  const { stacks } = platform();
  const template = Template.fromStack(stacks.dataLake);
  const dataBuckets = ['Raw', 'Curated', 'Models'];

  function bucket(prefix: string): Record<string, unknown> {
    const found = template.findResources('AWS::S3::Bucket');
    const entry = Object.entries(found).find(([id]) => id.startsWith(`${prefix}Bucket`));
    if (!entry) throw new Error(`no ${prefix} bucket`);
    return (entry[1] as { Properties: Record<string, unknown> }).Properties;
  }

  it('creates a customer-managed key with rotation', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('denies KMS grants that are not for AWS resources', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });

  it('creates raw, curated, models and an access-log bucket', () => {
    template.resourceCountIs('AWS::S3::Bucket', 4);
  });

  it.each(dataBuckets)('sets all four Block Public Access flags on %s', (name) => {
    expect(bucket(name).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it.each(dataBuckets)('encrypts %s with the platform key and a bucket key', (name) => {
    expect(bucket(name).BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
          },
        },
      ],
    });
  });

  it.each(dataBuckets)('versions %s, logs its access and sends events to EventBridge', (name) => {
    const props = bucket(name);
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogs/) },
      LogFilePrefix: `${name}/`,
    });
    expect(props.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    expect(props.ObjectLockEnabled).toBe(true);
  });

  it.each(dataBuckets)('expires non-current versions of %s', (name) => {
    const rules = (bucket(name).LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
    );
  });

  it('moves raw data to Infrequent Access and then Glacier after the configured days', () => {
    const rules = (bucket('Raw').LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER', TransitionInDays: 90 },
        ],
      }),
    );
  });

  it('denies non-TLS and pre-TLS-1.2 requests on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(4);
    for (const policy of Object.values(policies)) {
      const statements = (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
        .PolicyDocument.Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      );
    }
  });

  it('keeps access logs private, SSE-S3 encrypted and expiring', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365 })]) },
    });
  });

  it('destroys buckets with their objects in dev', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });

  it('retains buckets and the key and protects the stack in prod', () => {
    const prod = platform({ stage: 'prod' }).stacks.dataLake;
    const prodTemplate = Template.fromStack(prod);
    prodTemplate.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    prodTemplate.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    prodTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    expect(prod.terminationProtection).toBe(true);
  });

  it('honours configured lifecycle days', () => {
    const custom = Template.fromStack(
      platform({ retention: { rawInfrequentAccessDays: 45, rawGlacierDays: 180, noncurrentVersionDays: 7 } })
        .stacks.dataLake,
    );
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
          Match.objectLike({
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 45 },
              { StorageClass: 'GLACIER', TransitionInDays: 180 },
            ],
          }),
        ]),
      },
    });
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
