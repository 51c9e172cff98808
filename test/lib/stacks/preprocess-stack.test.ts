import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('preprocess stack', () => {
  const { stacks, config } = platform();
  const template = Template.fromStack(stacks.preprocess);

  it('runs the preprocess handler on Node.js 24, ARM64, traced (outside the VPC on the lean dev network)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1769,
      Timeout: 300,
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: Match.absent(),
      VpcConfig: Match.absent(),
      EphemeralStorage: { Size: 1280 },
      Environment: {
        Variables: Match.objectLike({
          CURATED_BUCKET: Match.anyValue(),
          RAW_BUCKET: Match.anyValue(),
          MAX_OBJECT_BYTES: String(512 * 1024 * 1024),
          DATASET_SCHEMA: JSON.stringify(config.dataset),
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('logs to a KMS-encrypted log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }),
    });
  });

  it('retries at most twice and sends failures to the encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }),
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('is triggered by EventBridge Object Created events for CSV and JSON Lines keys of any case in the raw bucket', () => {
    const key = ['.csv', '.csv.gz', '.jsonl', '.jsonl.gz', '.ndjson', '.ndjson.gz'].map((suffix) => ({
      suffix: { 'equals-ignore-case': suffix },
    }));
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [Match.anyValue()] }, object: { key } },
      },
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 } }),
      ],
    });
  });

  it('may read raw and write only the curated output prefixes', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (
          p as {
            Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const text = JSON.stringify(statements);
    for (const prefix of ['clean', 'train', 'stats', 'reports', 'quarantine']) {
      expect(text).toContain(`/${prefix}/*`);
    }
    // Athena's copy, one folder per Glue table.
    for (const table of ['clean', 'train', 'quarantine', 'group_stats', 'reports']) {
      expect(text).toContain(`/athena/${table}/*`);
    }
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) {
      const resources = JSON.stringify(write.Resource);
      expect(resources).toContain('Curated');
      expect(resources).not.toContain('Raw');
      expect(resources).toMatch(/\/(clean|train|stats|reports|quarantine)\/\*/);
    }
    expect(text).not.toContain('"s3:*"');
    expect(text).not.toContain('s3:DeleteObjectVersion');
    expect(text).not.toContain('s3:DeleteObject*');
    const deletes = statements.filter((s) => [s.Action].flat().includes('s3:DeleteObject'));
    expect(deletes).toHaveLength(1);
    expect(JSON.stringify(deletes[0].Resource)).not.toContain('Raw');
  });

  it("writes Athena's copy only with the query stack: ATHENA_COPY, and PutObject under athena/ then only", () => {
    const puts = (t: Template) =>
      JSON.stringify(
        Object.values(t.findResources('AWS::IAM::Policy'))
          .flatMap(
            (p) =>
              (
                p as {
                  Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
                }
              ).Properties.PolicyDocument.Statement,
          )
          .filter((s) => [s.Action].flat().includes('s3:PutObject')),
      );
    const envOf = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function')).map(
        (f) =>
          (f as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties
            .Environment?.Variables?.ATHENA_COPY,
      );
    expect(envOf(template)).toContain('true');
    expect(puts(template)).toContain('/athena/clean/*');
    const off = Template.fromStack(platform({ query: { enabled: false } }).stacks.preprocess);
    expect(envOf(off)).toContain('false');
    expect(envOf(off)).not.toContain('true');
    expect(puts(off)).not.toContain('/athena/');
    expect(puts(off)).toContain('/clean/*');
    // Listing and deleting there stay, so copies written while it was deployed can go.
    const statements = Object.values(off.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (
          p as {
            Properties: {
              PolicyDocument: { Statement: { Sid?: string; Resource: unknown; Condition?: unknown }[] };
            };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const sid = (name: string) => JSON.stringify(statements.find((s) => s.Sid === name));
    expect(sid('DeleteStaleOutputs')).toContain('/athena/clean/*');
    expect(sid('ListCuratedOutputs')).toContain('athena/clean/*');
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
