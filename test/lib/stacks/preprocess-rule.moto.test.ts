/**
 * The preprocess stack's event rule, as synthesized, evaluated by EventBridge's own matcher
 * (moto_server's, over loopback): which raw keys reach the function. A key the rule misses is
 * never processed and nothing says so, so the suffixes are checked as EventBridge reads them.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { platform } from '../../support/synth';

let moto: MotoServer;
let events: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  useMotoEnvironment(moto.endpoint);
  events = new EventBridgeClient({});
  sqs = new SQSClient({});
}, 60000);

afterAll(async () => {
  events?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

interface RulePattern {
  detail: { bucket: { name: unknown[] } };
}

/** The synthesized rule's pattern with the raw bucket's name filled in. */
function rulePattern(bucket: string): RulePattern {
  const { stacks } = platform();
  const rules = Template.fromStack(stacks.preprocess).findResources('AWS::Events::Rule');
  const [rule] = Object.values(rules) as { Properties: { EventPattern: RulePattern } }[];
  const pattern = structuredClone(rule.Properties.EventPattern);
  pattern.detail.bucket.name = [bucket];
  return pattern;
}

test('the rule routes CSV and JSON Lines keys of any case, gzip or not, and nothing else', async () => {
  const bucket = 'raw-bucket';
  await events.send(
    new PutRuleCommand({ Name: 'OnRawObject', EventPattern: JSON.stringify(rulePattern(bucket)) }),
  );
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'routed' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: 'OnRawObject', Targets: [{ Id: 'q', Arn: Attributes!.QueueArn! }] }),
  );
  const keys = [
    'line-7.csv',
    'LINE-7.CSV',
    'exports/x.csv.gz',
    'x.CSV.GZ',
    'firehose/2026/12/01/batch.jsonl.gz',
    'a.NDJSON',
    'notes.txt',
    'x.csv.zip',
    'x.gz',
  ];
  await events.send(
    new PutEventsCommand({
      Entries: keys.map((key) => ({
        Source: 'aws.s3',
        DetailType: 'Object Created',
        Detail: JSON.stringify({ bucket: { name: bucket }, object: { key, size: 10 } }),
      })),
    }),
  );
  const routed: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages ?? []) routed.push(JSON.parse(m.Body!).detail.object.key);
  }
  expect(routed.sort()).toEqual(keys.slice(0, 6).sort());
}, 120000);
