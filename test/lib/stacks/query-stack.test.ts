import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../../lib/config';
import { glueDatabaseName } from '../../../lib/stacks/query-stack';
import { CURATED_TABLES } from '../../../lambda/core/curated-tables';
import { ATHENA_COPY_KINDS, outputKeys } from '../../../lambda/core/object-keys';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { platform } from '../../support/synth';

const OWN_SCHEMA = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'fixtures', 'csv', 'own-data', 'predictive-maintenance.schema.json'),
    'utf8',
  ),
) as DatasetSchema;

describe('query stack', () => {
  const { stacks, config } = platform();
  const template = Template.fromStack(stacks.query!);

  it('names the Glue database in lower case after the prefix and stage', () => {
    expect(glueDatabaseName(config)).toBe('aiaas_factory_dev');
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'aiaas_factory_dev' }),
    });
  });

  it('declares one Glue table per curated output', () => {
    template.resourceCountIs('AWS::Glue::Table', CURATED_TABLES.length);
    for (const name of ['clean', 'train', 'quarantine', 'group_stats', 'reports']) {
      template.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: 'aiaas_factory_dev',
        TableInput: Match.objectLike({ Name: name, TableType: 'EXTERNAL_TABLE' }),
      });
    }
  });

  it("gives the clean table the schema's columns, typed, read by key with the OpenX JSON SerDe", () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'clean',
        StorageDescriptor: Match.objectLike({
          Columns: [
            { Name: 'timestamp', Type: 'string', Comment: 'timestamp' },
            { Name: 'line_id', Type: 'string', Comment: 'line_id' },
            { Name: 'category', Type: 'string', Comment: 'category' },
            // The default schema's measurements, whose names are already SQL names.
            ...[...DEFAULT_DATASET_SCHEMA.features, DEFAULT_DATASET_SCHEMA.target].map((c) => ({
              Name: c,
              Type: 'double',
              Comment: c,
            })),
          ],
          Location: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/athena/clean/']] },
          SerdeInfo: {
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            Parameters: { 'case.insensitive': 'FALSE' },
          },
        }),
      }),
    });
  });

  it("points every table at the folder preprocess writes that table's copy to (object-keys.ts)", () => {
    const tables = Object.values(template.findResources('AWS::Glue::Table'));
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(
      CURATED_TABLES.map((t) => t.name).sort(),
    );
    const written = outputKeys({ key: 'line.csv', versionId: '1' });
    for (const t of tables) {
      const name = t.Properties.TableInput.Name as keyof typeof ATHENA_COPY_KINDS;
      const key = written[ATHENA_COPY_KINDS[name]];
      const [, [, , folder]] = t.Properties.TableInput.StorageDescriptor.Location['Fn::Join'];
      expect(`${folder.slice(1)}line/v-1.jsonl`).toBe(key);
    }
  });

  it('maps a real export’s names (brackets, units, spaces) to lower-case columns by key', () => {
    const own = Template.fromStack(platform({ dataset: OWN_SCHEMA }).stacks.query!);
    const clean = Object.values(own.findResources('AWS::Glue::Table')).find(
      (r) => r.Properties.TableInput.Name === 'clean',
    )!;
    const sd = clean.Properties.TableInput.StorageDescriptor;
    expect(sd.Columns).toContainEqual({ Name: 'torque_nm', Type: 'double', Comment: 'Torque [Nm]' });
    expect(sd.SerdeInfo.Parameters['mapping.torque_nm']).toBe('Torque [Nm]');
    for (const c of sd.Columns) expect(c.Name).toMatch(/^[a-z0-9_]+$/);
  });

  it('types the quarantine and report columns, the origin on each per-object table', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'quarantine',
        StorageDescriptor: Match.objectLike({
          Columns: [
            { Name: 'line', Type: 'bigint', Comment: 'line' },
            { Name: 'last_line', Type: 'bigint', Comment: 'last_line' },
            { Name: 'reason', Type: 'string', Comment: 'reason' },
            { Name: 'raw', Type: 'string', Comment: 'raw' },
            // The origin, which Athena's copy ends every record of a per-object table with.
            { Name: 'source', Type: 'string', Comment: 'source' },
            { Name: 'arrived', Type: 'string', Comment: 'arrived' },
          ],
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'reports',
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([
            { Name: 'rows_in', Type: 'bigint', Comment: 'rowsIn' },
            { Name: 'status', Type: 'string', Comment: 'status' },
            { Name: 'rejection', Type: 'string', Comment: 'rejection' },
            { Name: 'source', Type: 'string', Comment: 'source' },
            { Name: 'arrived', Type: 'string', Comment: 'arrived' },
          ]),
          SerdeInfo: Match.objectLike({
            Parameters: Match.objectLike({ 'mapping.rows_in': 'rowsIn' }),
          }),
        }),
      }),
    });
  });

  it('enforces the workgroup: SSE-KMS results with the platform key, the configured cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'aiaas-factory-dev-analysts',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1_000_000_000,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/results/']] },
          ExpectedBucketOwner: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() },
        },
      },
    });
  });

  it('keeps results in a KMS-encrypted bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }),
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-query-results', ExpirationInDays: 30 })]),
      },
    });
  });

  it("logs the results bucket's access to the data lake's log bucket, which lets only this account's S3 logging write", () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'QueryResults/' },
    });
    Template.fromStack(stacks.dataLake).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'QueryResultsAccessLogs',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('creates the named queries factory query runs, in the workgroup and database', () => {
    const expected = namedQueries(config.dataset, config.serving.anomalyZ);
    template.resourceCountIs('AWS::Athena::NamedQuery', expected.length);
    for (const q of expected) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: q.name,
        QueryString: q.sql,
        Database: 'aiaas_factory_dev',
        WorkGroup: 'aiaas-factory-dev-analysts',
      });
    }
  });

  it('lets the account assume the analyst role only with MFA, or only the configured principals', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRole',
            Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
          }),
        ],
      },
    });
    const arn = 'arn:aws:iam::123456789012:role/AWSReservedSSO_Analysts_0123456789abcdef';
    const configured = Template.fromStack(platform({ query: { analystPrincipals: [arn] } }).stacks.query!);
    configured.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: arn } }],
      },
    });
  });

  it("grants the analyst the workgroup, this database's tables, Athena's copy, the results and the key via S3", () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const bySid = new Map(statements.map((s) => [s.Sid as string, s]));
    expect(bySid.get('ReadAthenaCopy').Action).toBe('s3:GetObject');
    expect(JSON.stringify(bySid.get('ReadAthenaCopy').Resource)).toContain('/athena/*');
    expect(bySid.get('PlatformKeyThroughS3').Condition).toEqual({
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      },
    });
    expect(bySid.get('ListAthenaCopy').Condition).toEqual({ StringLike: { 's3:prefix': ['athena/*'] } });
    // Nothing writes the catalog or the curated bucket.
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => /^glue:(Create|Update|Delete|Batch(Create|Delete|Update))/.test(a))).toEqual(
      [],
    );
    expect(actions.filter((a) => a.endsWith('*'))).toEqual([]);
    expect(actions.filter((a) => /^athena:(Update|Delete)/.test(a))).toEqual([]);
  });

  it('is not declared when query.enabled is false', () => {
    expect(platform({ query: { enabled: false } }).stacks.query).toBeUndefined();
  });

  it.each([
    [{ query: { bytesScannedCutoffMB: 9 } }, 'factory.query.bytesScannedCutoffMB: got 9'],
    [{ query: { resultsDays: 0 } }, 'factory.query.resultsDays: got 0'],
    [{ query: { analystPrincipals: ['alice'] } }, 'factory.query.analystPrincipals.0: got "alice"'],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });
});
