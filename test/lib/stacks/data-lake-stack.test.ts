import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('data-lake stack', () => {
  const { stacks } = platform();
  const template = Template.fromStack(stacks.dataLake);
  const dataBuckets = ['Raw', 'Curated', 'Models', 'Audit'];

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

  it('creates raw, curated, models, audit (CloudTrail) and access-log buckets', () => {
    template.resourceCountIs('AWS::S3::Bucket', 5);
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
    expect(Object.keys(policies)).toHaveLength(5);
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
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 5);
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

  it('outputs the bucket names a person types', () => {
    for (const name of ['RawBucketName', 'CuratedBucketName', 'ModelsBucketName'])
      template.hasOutput(name, Match.anyValue());
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});

describe('data-lake security options', () => {
  const prod = Template.fromStack(platform({ stage: 'prod' }).stacks.dataLake);
  const dev = Template.fromStack(platform().stacks.dataLake);
  const bucketPolicies = (t: Template) => JSON.stringify(t.findResources('AWS::S3::BucketPolicy'));
  const keyPolicy = (t: Template) => JSON.stringify(t.findResources('AWS::KMS::Key'));

  it('locks raw objects in compliance mode for 365 days in prod and not in dev', () => {
    prod.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
    });
    expect(JSON.stringify(dev.findResources('AWS::S3::Bucket'))).not.toContain('DefaultRetention');
  });

  it('honours a configured raw retention', () => {
    const t = Template.fromStack(platform({ security: { rawObjectLockDays: 30 } }).stacks.dataLake);
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
    });
  });

  it('denies curated and models data access outside the VPC endpoint in prod', () => {
    prod.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyDataAccessOutsideTheVpcEndpoint',
            Effect: 'Deny',
            Condition: Match.objectLike({
              StringNotEquals: { 'aws:SourceVpce': Match.anyValue() },
              BoolIfExists: { 'aws:ViaAWSService': 'false' },
            }),
          }),
        ]),
      },
    });
    expect(bucketPolicies(prod).match(/DenyDataAccessOutsideTheVpcEndpoint/g)).toHaveLength(2);
    expect(bucketPolicies(dev)).not.toContain('DenyDataAccessOutsideTheVpcEndpoint');
  });

  it('exempts configured admin roles from the endpoint-only rule', () => {
    const admin = 'arn:aws:iam::123456789012:role/BreakGlass';
    const t = Template.fromStack(
      platform({ stage: 'prod', security: { adminRoleArns: [admin] } }).stacks.dataLake,
    );
    expect(bucketPolicies(t)).toContain(admin);
  });

  it('limits data use of the platform key to the platform roles in prod', () => {
    prod.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyDataUseOutsideThePlatform',
            Effect: 'Deny',
            Condition: Match.objectLike({
              ArnNotLike: {
                'aws:PrincipalArn': Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.anyValue() })]),
              },
            }),
          }),
        ]),
      },
    });
    expect(keyPolicy(prod)).toContain('role/AiaasFactory-prod-*');
    expect(keyPolicy(dev)).not.toContain('DenyDataUseOutsideThePlatform');
  });

  it('records object-level data events of the three data buckets in an audit trail', () => {
    for (const t of [dev, prod]) {
      t.hasResourceProperties('AWS::CloudTrail::Trail', {
        EnableLogFileValidation: true,
        KMSKeyId: Match.anyValue(),
        EventSelectors: [
          Match.objectLike({
            ReadWriteType: 'All',
            IncludeManagementEvents: false,
            DataResources: [Match.objectLike({ Type: 'AWS::S3::Object' })],
          }),
        ],
      });
      const trail = JSON.stringify(t.findResources('AWS::CloudTrail::Trail'));
      for (const bucket of ['RawBucket', 'CuratedBucket', 'ModelsBucket']) expect(trail).toContain(bucket);
    }
    const off = Template.fromStack(platform({ security: { cloudTrailDataEvents: false } }).stacks.dataLake);
    off.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });
});
