import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('serving stack', () => {
  const { stacks } = platform();
  const template = Template.fromStack(stacks.serving);

  it('runs the predict handler with the serving limits in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: Match.absent(),
      // dev's lean network runs functions outside the VPC (test/lib/network-plan.test.ts).
      VpcConfig: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          MODELS_BUCKET: Match.anyValue(),
          MAX_ROWS: '1000',
          ANOMALY_Z: '3',
          FILL_MISSING: 'reject',
          MODEL_CACHE_SECONDS: '60',
        }),
      },
    });
  });

  it('authorizes every method with IAM by default', () => {
    const methods = template.findResources('AWS::ApiGateway::Method');
    expect(Object.keys(methods)).toHaveLength(2);
    for (const method of Object.values(methods)) {
      expect((method as { Properties: { AuthorizationType: string } }).Properties.AuthorizationType).toBe(
        'AWS_IAM',
      );
    }
  });

  it('authorizes every method with a Cognito user pool requiring MFA in cognito mode', () => {
    const cognito = Template.fromStack(platform({ serving: { auth: 'cognito' } }).stacks.serving);
    cognito.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'COGNITO_USER_POOLS' });
    cognito.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
  });

  it('never leaves a method without authorization', () => {
    for (const auth of ['iam', 'cognito']) {
      const t = Template.fromStack(platform({ serving: { auth } }).stacks.serving);
      for (const method of Object.values(t.findResources('AWS::ApiGateway::Method'))) {
        expect(
          (method as { Properties: { AuthorizationType: string } }).Properties.AuthorizationType,
        ).not.toBe('NONE');
      }
    }
  });

  it('validates the request body against the rows model', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
  });

  it('throttles, traces and writes JSON access logs on the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR' }),
      ],
    });
  });

  it('has no CORS preflight methods by default', () => {
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' }, 0);
  });

  it('puts a logged WAF web ACL with managed rules and a rate limit in front of the stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }),
        Match.objectLike({ Name: 'rate-limit-per-ip', Action: { Block: {} } }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });

  it('grants read access to the models prefix only', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (
          p as {
            Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const text = JSON.stringify(statements);
    expect(text).toContain('/models/*');
    expect(text).not.toContain('s3:PutObject');
    expect(text).not.toContain('s3:DeleteObject');
  });

  it('outputs the API URL', () => {
    expect(Object.keys(template.findOutputs('*')).some((name) => name.startsWith('ApiEndpoint'))).toBe(true);
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
