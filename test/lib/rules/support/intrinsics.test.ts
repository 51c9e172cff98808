import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  type Assembly,
  nameOf,
  resourcesOfType,
  type StackTemplate,
} from '../../../../lib/rules/support/assembly';
import { referencedResources, renderText, resolveResource } from '../../../../lib/rules/support/intrinsics';
import { CROSS_STACK_REFERENCES, synthAssembly } from '../synth-assembly';

const stackOf = (template: StackTemplate['template'], name = 'A'): StackTemplate => ({
  name,
  templatePath: `/${name}.template.json`,
  template,
});

describe('resolving references', () => {
  it.each(CROSS_STACK_REFERENCES)(
    'follows a $mode cross-stack reference to the key in the producing stack',
    ({ context }) => {
      const assembly = synthAssembly((app) => {
        const key = new kms.Key(new Stack(app, 'DataLake'), 'Key');
        new logs.LogGroup(new Stack(app, 'Serving'), 'Logs', { encryptionKey: key });
      }, context);
      const [group] = resourcesOfType(assembly, 'AWS::Logs::LogGroup');

      const key = resolveResource(group.resource.Properties?.KmsKeyId, group.stack, assembly);

      expect(key && nameOf(key)).toMatch(/^DataLake\/Key[0-9A-F]{8}$/);
      expect(key?.resource.Type).toBe('AWS::KMS::Key');
    },
  );

  it('resolves Ref and both Fn::GetAtt forms within a stack', () => {
    const stack = stackOf({ Resources: { Key: { Type: 'AWS::KMS::Key' } } });
    const assembly: Assembly = { stacks: [stack] };

    for (const value of [{ Ref: 'Key' }, { 'Fn::GetAtt': ['Key', 'Arn'] }, { 'Fn::GetAtt': 'Key.Arn' }]) {
      expect(resolveResource(value, stack, assembly)?.logicalId).toBe('Key');
    }
    expect(resolveResource({ Ref: 'AWS::Region' }, stack, assembly)).toBeUndefined();
    expect(resolveResource('arn:aws:kms:eu-west-1:111122223333:key/abc', stack, assembly)).toBeUndefined();
  });

  it('finds every resource referenced inside a joined ARN', () => {
    const stack = stackOf({
      Resources: { Api: { Type: 'AWS::ApiGateway::RestApi' }, Stage: { Type: 'AWS::ApiGateway::Stage' } },
    });
    const arn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, '::/restapis/', { Ref: 'Api' }, '/stages/', { Ref: 'Stage' }],
      ],
    };

    expect(referencedResources(arn, stack, { stacks: [stack] }).map((r) => r.logicalId)).toEqual([
      'Api',
      'Stage',
    ]);
  });

  it('matches an export whose name is built from AWS::StackName', () => {
    const producer = stackOf(
      {
        Resources: { Key: { Type: 'AWS::KMS::Key' } },
        Outputs: {
          KeyArn: {
            Value: { 'Fn::GetAtt': ['Key', 'Arn'] },
            Export: { Name: { 'Fn::Sub': '${AWS::StackName}-KeyArn' } },
          },
        },
      },
      'Platform-DataLake',
    );
    const consumer = stackOf({ Resources: {} }, 'Platform-Training');
    const assembly = { stacks: [producer, consumer] };

    const key = resolveResource({ 'Fn::ImportValue': 'Platform-DataLake-KeyArn' }, consumer, assembly);

    expect(key && nameOf(key)).toBe('Platform-DataLake/Key');
  });
});

describe('renderText', () => {
  const stack = stackOf({ Resources: {} }, 'Serving');
  const assembly = { stacks: [stack] };

  it('renders joins with placeholders for what only CloudFormation knows', () => {
    expect(
      renderText({ 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] }, stack, assembly),
    ).toBe('logs.${AWS::Region}.amazonaws.com');
    expect(renderText({ 'Fn::GetAtt': ['Key', 'Arn'] }, stack, assembly)).toBe('${Key.Arn}');
  });

  it('applies Fn::Sub variables and knows the stack name', () => {
    expect(
      renderText({ 'Fn::Sub': ['aws-waf-logs-${AWS::StackName}-${X}', { X: 'acl' }] }, stack, assembly),
    ).toBe('aws-waf-logs-Serving-acl');
  });
});
