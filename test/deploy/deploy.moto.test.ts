/**
 * Issue 11, "prove it" 1: the whole app, synthesized as `cdk synth` does, deployed on moto_server
 * the way `cdk bootstrap` + `cdk deploy` would, every stack in dependency order; then what moto
 * keeps is read back through the services' own APIs. The moto workarounds applied are printed
 * (test/deploy/moto-gaps.ts); nothing in the product bends for moto.
 */
import { DescribeDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetNamedQueryCommand, GetWorkGroupCommand, ListNamedQueriesCommand } from '@aws-sdk/client-athena';
import { GetTableCommand, GetTablesCommand } from '@aws-sdk/client-glue';
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { motoAvailable, MOTO_INSTALL_HINT, startMoto, type MotoServer } from '../../bin/local/moto-server';
import { motoClients } from './clients';
import type { CfnTemplate } from './assembly';
import { deployToMoto, describeDeploy, REGION, type DeployReport } from './deploy';
import {
  ANSWER_CUSTOM_RESOURCES,
  CREATE_MODEL_PACKAGE_GROUPS,
  CREATE_THROUGH_APIS,
  TEMPLATE_WORKAROUNDS,
} from './moto-gaps';
import { CURATED_TABLES } from '../../lambda/core/curated-tables';
import { DEFAULT_DATASET_SCHEMA } from '../../lambda/core/dataset-schema';
import { namedQueries } from '../../lambda/core/named-queries';

const available = motoAvailable();
if (!available) console.warn(`emulated deploy skipped: ${MOTO_INSTALL_HINT}`);
const describeWithMoto = available ? describe : describe.skip;

let report: DeployReport;

/** The stack's template, by the short name its stack ends with (`DataLake`). */
const template = (name: string): CfnTemplate => {
  const stack = report.synth.assembly!.stacks.find((s) => s.stackName.endsWith(`-${name}`));
  if (!stack) throw new Error(`no ${name} stack in the assembly`);
  return stack.template;
};
const deployed = (name: string) => report.stacks.find((s) => s.stackName.endsWith(`-${name}`))!;
const physicalId = (stack: string, logicalId: string) =>
  deployed(stack).resources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
const logicalIdsOfType = (stack: string, type: string) =>
  Object.entries(template(stack).Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
const platformKeyArn = () => report.readback!.keys.find((k) => k.stack.endsWith('-DataLake'))!.arn;

// Both network profiles: dev's lean default (functions outside the VPC, no interface endpoint on
// SageMaker) and the isolated one (every function in the private subnets, its endpoints in each AZ).
describeWithMoto.each([
  ['lean', {}],
  ['isolated', { network: { profile: 'isolated' } }],
] as const)('the app deployed on moto_server, %s network', (profile, factory) => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
    report = await deployToMoto({ factory, moto });
    process.stdout.write(`\n${describeDeploy(report)}\n`);
  }, 300_000);
  afterAll(async () => moto?.stop());

  it('synthesizes as cdk synth does: no failed policy check, no context left to look up', () => {
    expect(report.synth.assembly).toBeDefined();
    expect(report.synth.validationFailures).toEqual([]);
    expect(report.synth.missingContext).toEqual([]);
    expect(report.synth.exitCode).toBe(0);
  });

  it('creates every stack after the stacks it depends on, and each reaches CREATE_COMPLETE', () => {
    const stacks = report.synth.assembly!.stacks;
    const order = report.stacks.map((s) => s.stackName);
    expect(order).toEqual(stacks.map((s) => s.stackName));
    for (const stack of stacks) {
      for (const dep of stack.dependsOn) {
        const depName = stacks.find((s) => s.id === dep)!.stackName;
        expect(order.indexOf(depName)).toBeLessThan(order.indexOf(stack.stackName));
      }
    }
    expect(report.stacks.map((s) => [s.stackName, s.status, s.reason ?? ''])).toEqual(
      stacks.map((s) => [s.stackName, 'CREATE_COMPLETE', '']),
    );
  });

  it('bends only for the documented moto gaps', () => {
    const documented = [
      ...TEMPLATE_WORKAROUNDS.map((w) => w.name),
      ANSWER_CUSTOM_RESOURCES.name,
      CREATE_THROUGH_APIS.name,
      CREATE_MODEL_PACKAGE_GROUPS.name,
    ];
    for (const w of report.workarounds) expect(documented).toContain(w.name);
  });

  it("creates the training stack's Model Registry group, as the template names it", async () => {
    const [id] = logicalIdsOfType('Training', 'AWS::SageMaker::ModelPackageGroup');
    const training = deployed('Training').stackName;
    const name = template('Training').Resources[id].Properties!.ModelPackageGroupName as string;
    const sagemaker = new SageMakerClient({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const group = await sagemaker.send(
        new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }),
      );
      expect(group.ModelPackageGroupName).toBe('aiaas-factory-dev-models');
    } finally {
      sagemaker.destroy();
    }
    expect(report.workarounds).toContainEqual(
      expect.objectContaining({ name: CREATE_MODEL_PACKAGE_GROUPS.name, stack: training, count: 1 }),
    );
  });

  it('creates each Lambda function from the asset zip published to the key its template names', () => {
    const published = new Map(report.published!.files.map((f) => [f.asset.objectKey, f.sha256]));
    const functions = report.readback!.functions;
    expect(functions.length).toBeGreaterThan(0);
    for (const stack of report.synth.assembly!.stacks) {
      for (const [logicalId, r] of Object.entries(stack.template.Resources)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        const key = (r.Properties?.Code as { S3Key?: string }).S3Key!;
        const fn = functions.find((f) => f.stack === stack.stackName && f.logicalId === logicalId);
        expect({ logicalId, sha256: fn?.codeSha256 }).toEqual({ logicalId, sha256: published.get(key) });
      }
    }
  });

  it('encrypts raw, curated, models and audit by default with the platform key, access logs with SSE-S3', () => {
    const buckets = report.readback!.buckets;
    const byLogical = (prefix: string) => buckets.find((b) => b.logicalId.startsWith(prefix))!;
    for (const name of ['RawBucket', 'CuratedBucket', 'ModelsBucket', 'AuditBucket']) {
      expect({ name, sse: byLogical(name).sseAlgorithm, key: byLogical(name).kmsKeyArn }).toEqual({
        name,
        sse: 'aws:kms',
        key: platformKeyArn(),
      });
    }
    expect(byLogical('AccessLogs').sseAlgorithm).toBe('AES256');
  });

  it('encrypts the dead-letter queue with the platform key and the alerts topic with its own key', () => {
    const [dlq] = report.readback!.queues;
    expect(dlq.kmsMasterKeyId).toBe(platformKeyArn());
    const [topic] = report.readback!.topics;
    const alertsKey = report.readback!.keys.find((k) => k.stack.endsWith('-Monitoring'))!;
    expect(topic.kmsMasterKeyId).toBe(alertsKey.arn);
  });

  it('keeps the tags of every KMS key', () => {
    for (const key of report.readback!.keys) expect(key.tags).toMatchObject({ project: 'aiaas-factory' });
  });

  it(`wires each function to the deployed buckets and places it by the ${profile} profile`, () => {
    const bucketNames = new Set(report.readback!.buckets.map((b) => b.name));
    const dataLake = deployed('DataLake').outputs;
    const subnets = logicalIdsOfType('Network', 'AWS::EC2::Subnet').map((id) => physicalId('Network', id));
    const platformFunctions = report.readback!.functions.filter((f) => !f.logicalId.startsWith('Custom'));
    expect(platformFunctions.length).toBeGreaterThanOrEqual(6);
    for (const fn of platformFunctions) {
      for (const [name, value] of Object.entries(fn.environment)) {
        if (name.endsWith('_BUCKET'))
          expect({ fn: fn.logicalId, name, known: bucketNames.has(value) }).toEqual({
            fn: fn.logicalId,
            name,
            known: true,
          });
      }
      expect([...fn.subnetIds].sort()).toEqual(profile === 'isolated' ? [...subnets].sort() : []);
    }
    const preprocess = platformFunctions.find((f) => f.stack.endsWith('-Preprocess'))!;
    expect(preprocess.environment.RAW_BUCKET).toBe(dataLake.RawBucketName);
    expect(preprocess.environment.CURATED_BUCKET).toBe(dataLake.CuratedBucketName);
    const predict = platformFunctions.find((f) => f.stack.endsWith('-Serving'))!;
    expect(predict.environment.MODELS_BUCKET).toBe(dataLake.ModelsBucketName);
  });

  it('creates every role with the services its template trusts', () => {
    const roles = report.readback!.roles;
    for (const stack of report.synth.assembly!.stacks) {
      for (const [logicalId, r] of Object.entries(stack.template.Resources)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        const doc = r.Properties?.AssumeRolePolicyDocument as {
          Statement: { Principal?: { Service?: unknown } }[];
        };
        const services = doc.Statement.flatMap((s) => [s.Principal?.Service ?? []].flat()).map(String);
        const role = roles.find((x) => x.stack === stack.stackName && x.logicalId === logicalId);
        expect({ logicalId, services: role?.trustedServices }).toEqual({ logicalId, services });
      }
    }
  });

  it('keeps the state machine definition with the deployed step functions as its Lambda tasks', () => {
    const [machine] = report.readback!.stateMachines;
    const states = machine.definition.States as Record<string, { Type: string; Resource?: string }>;
    for (const name of [
      'StartRun',
      'PlanCapacity',
      'ChooseEngine',
      'EvaluateCandidate',
      'PromoteCandidate',
      'TrainingFailed',
    ]) {
      expect(Object.keys(states)).toContain(name);
    }
    const training = report
      .readback!.functions.filter((f) => f.stack.endsWith('-Training'))
      .map((f) => f.arn);
    const lambdaTasks = Object.entries(states)
      .filter(([, s]) => s.Type === 'Task' && s.Resource?.includes(':lambda:'))
      .map(([, s]) => s.Resource!);
    expect(lambdaTasks.length).toBeGreaterThanOrEqual(4);
    for (const arn of lambdaTasks) expect(training).toContain(arn);
    const text = JSON.stringify(machine.definition);
    expect(text).toContain(`s3://${deployed('DataLake').outputs.ModelsBucketName}/training/`);
    expect(text).toContain(deployed('DataLake').outputs.CuratedBucketName);
  });

  it('creates the telemetry stream and topic rule as the template declares them; a record put on it lands in raw', async () => {
    const clients = motoClients(moto.endpoint, REGION);
    try {
      const ingest = deployed('Ingest').outputs;
      const stream = await clients.firehose.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: ingest.DeliveryStreamName }),
      );
      const s3 = stream.DeliveryStreamDescription!.Destinations![0].ExtendedS3DestinationDescription!;
      expect(s3.CompressionFormat).toBe('GZIP');
      expect(s3.BucketARN).toBe(`arn:aws:s3:::${deployed('DataLake').outputs.RawBucketName}`);
      const rule = await clients.iot.send(
        new GetTopicRuleCommand({ ruleName: 'aiaas_factory_dev_telemetry' }),
      );
      expect(rule.rule?.sql).toBe("SELECT *, topic(2) AS line_id FROM 'factory/+/telemetry'");
      expect(rule.rule?.actions?.[0].firehose?.deliveryStreamName).toBe(ingest.DeliveryStreamName);
      // moto delivers at once, uncompressed and without the prefix rules (its Firehose gap).
      await clients.firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: ingest.DeliveryStreamName,
          Records: [{ Data: Buffer.from('{"line_id":"L01","temperature":70.1}\n') }],
        }),
      );
      const listed = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: deployed('DataLake').outputs.RawBucketName }),
      );
      expect(listed.KeyCount).toBeGreaterThan(0);
    } finally {
      clients.destroy();
    }
  });

  it('creates the Glue tables, the enforced workgroup and its named queries as the query stack declares them', async () => {
    const clients = motoClients(moto.endpoint, REGION);
    try {
      const query = deployed('Query').outputs;
      const curated = deployed('DataLake').outputs.CuratedBucketName;
      const tables = await clients.glue.send(new GetTablesCommand({ DatabaseName: query.DatabaseName }));
      expect(query.DatabaseName).toBe('aiaas_factory_dev');
      expect((tables.TableList ?? []).map((t) => t.Name).sort()).toEqual(
        CURATED_TABLES.map((t) => t.name).sort(),
      );
      const { Table: clean } = await clients.glue.send(
        new GetTableCommand({ DatabaseName: query.DatabaseName, Name: 'clean' }),
      );
      expect(clean?.StorageDescriptor?.Location).toBe(`s3://${curated}/athena/clean/`);
      expect(clean?.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type])).toEqual(
        CURATED_TABLES[0]
          .columns(DEFAULT_DATASET_SCHEMA)
          .map((c) => [c.name, c.type === 'DOUBLE' ? 'double' : 'string']),
      );
      expect(clean?.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toBe(
        'org.openx.data.jsonserde.JsonSerDe',
      );

      const { WorkGroup } = await clients.athena.send(
        new GetWorkGroupCommand({ WorkGroup: query.WorkGroupName }),
      );
      const results = report.readback!.buckets.find((b) => b.stack.endsWith('-Query'))!;
      expect(results.kmsKeyArn).toBe(platformKeyArn());
      expect(WorkGroup?.Configuration).toMatchObject({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1_000_000_000,
        ResultConfiguration: {
          OutputLocation: `s3://${results.name}/results/`,
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: platformKeyArn() },
        },
      });

      const ids = await clients.athena.send(new ListNamedQueriesCommand({ WorkGroup: query.WorkGroupName }));
      // moto has GetNamedQuery but no BatchGetNamedQuery.
      const named = await Promise.all(
        (ids.NamedQueryIds ?? []).map(
          async (id) =>
            (await clients.athena.send(new GetNamedQueryCommand({ NamedQueryId: id }))).NamedQuery!,
        ),
      );
      expect(named.map((q) => [q.Name, q.Database, q.QueryString]).sort()).toEqual(
        namedQueries(DEFAULT_DATASET_SCHEMA)
          .map((q) => [q.name, 'aiaas_factory_dev', q.sql])
          .sort(),
      );
    } finally {
      clients.destroy();
    }
  });
});
