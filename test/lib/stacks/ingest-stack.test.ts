import { Match, Template } from 'aws-cdk-lib/assertions';
import { ingestLineField, parseConfig } from '../../../lib/config';
import { inputKind } from '../../../lambda/core/input-key';
import { INGEST_FILE_EXTENSION } from '../../../lambda/core/ingest-layout';
import { platform } from '../../support/synth';

describe('ingest stack', () => {
  const { stacks } = platform();
  const template = Template.fromStack(stacks.ingest!);

  it('routes factory/<line>/telemetry to the stream, adding only the line id of the topic', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'aiaas_factory_dev_telemetry',
      TopicRulePayload: {
        Sql: "SELECT *, topic(2) AS line_id FROM 'factory/+/telemetry'",
        AwsIotSqlVersion: '2016-03-23',
        Actions: [
          {
            Firehose: {
              DeliveryStreamName: 'aiaas-factory-dev-telemetry',
              Separator: '\n',
              BatchMode: false,
              RoleArn: Match.anyValue(),
            },
          },
        ],
        ErrorAction: { CloudwatchLogs: Match.objectLike({ LogGroupName: Match.anyValue() }) },
      },
    });
  });

  it('writes gzip JSON Lines into raw/ingest/ by date, errors apart, with the platform key', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'aiaas-factory-dev-telemetry',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'ingest/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        ErrorOutputPrefix:
          'ingest-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        CompressionFormat: 'GZIP',
        FileExtension: '.jsonl.gz',
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 },
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: Match.anyValue() } },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  it('names objects with a suffix the preprocess rule and handler read as gzip JSON Lines', () => {
    expect(inputKind(`ingest/2026/12/01/aiaas-factory-dev-telemetry-1-x${INGEST_FILE_EXTENSION}`)).toEqual({
      format: 'jsonl',
      gzipName: true,
      suffix: '.jsonl.gz',
    });
  });

  it('lets Firehose and IoT assume their roles only for this stream and this rule', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' }, Condition: Match.anyValue() }),
        ],
      },
    });
  });

  it("lets each line's thing publish only to its own topic", () => {
    const [policy] = Object.values(template.findResources('AWS::IoT::Policy'));
    const statements = (
      policy as { Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } } }
    ).Properties.PolicyDocument.Statement;
    const publish = statements.find((s) => s.Action === 'iot:Publish')!;
    expect(JSON.stringify(publish.Resource)).toContain(
      'topic/factory/${iot:Connection.Thing.ThingName}/telemetry',
    );
    expect(statements.map((s) => s.Action).sort()).toEqual(['iot:Connect', 'iot:Publish']);
  });

  it('gives line PCs a role that may only put records on the stream', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'PutTelemetry',
            Effect: 'Allow',
            Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
            Resource: Match.anyValue(),
          },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^LinePcRole') }],
    });
  });

  it('alarms on late delivery, throttling and rule failures', () => {
    const monitoring = Template.fromStack(stacks.monitoring);
    for (const metric of ['DeliveryToS3.DataFreshness', 'ThrottledRecords', 'Failure']) {
      monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric });
    }
  });

  it('adds nothing to the message when ingest.lineField is false', () => {
    const rule = Template.fromStack(platform({ ingest: { lineField: false } }).stacks.ingest!);
    rule.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({ Sql: "SELECT * FROM 'factory/+/telemetry'" }),
    });
  });

  it('is not declared when ingest.enabled is false', () => {
    expect(platform({ ingest: { enabled: false } }).stacks.ingest).toBeUndefined();
  });

  it.each([
    [{ ingest: { bufferMiB: 129 } }, 'factory.ingest.bufferMiB: got 129'],
    [{ ingest: { bufferSeconds: 901 } }, 'factory.ingest.bufferSeconds: got 901'],
    [
      { ingest: { lineField: 'Line ID' } },
      'factory.ingest.lineField: got "Line ID"; "Line ID" cannot be an AWS IoT SQL field name',
    ],
    [
      // A field the schema does not have: the line id would be dropped as an extra key.
      { ingest: { lineField: 'line' } },
      'factory.ingest.lineField: got "line"; "line" is not one of dataset.ids: the line id would be dropped; allowed: "line_id", false, null',
    ],
    [
      // Not the category either: the rule would overwrite the category each message carries.
      { ingest: { lineField: 'category' } },
      'factory.ingest.lineField: got "category"; "category" is not one of dataset.ids',
    ],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it("adds no line id by default when the dataset's first id is not a plain name", () => {
    const config = parseConfig({
      dataset: {
        ids: ['Product ID'],
        category: 'Type',
        features: ['Torque [Nm]'],
        target: 'Tool wear [min]',
      },
    });
    expect(ingestLineField(config)).toBeUndefined();
    expect(ingestLineField(parseConfig({}))).toBe('line_id');
  });
});
