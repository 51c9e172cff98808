import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { checkWafBodyLimit } from '../../../lib/rules/waf-body-limit';
import { messages, synthAssembly } from './synth-assembly';

const code = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })');

/** The serving stack's web ACL: AWS managed groups with `overrideAction: none`, and a rate limit. */
function webAcl(scope: Construct, overrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL {
  const managed = (name: string, priority: number, ruleActionOverrides?: typeof overrides) => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
  });
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      metricName: 'predict-api',
      sampledRequestsEnabled: true,
    },
    rules: [
      managed('AWSManagedRulesCommonRuleSet', 0, overrides),
      managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
      {
        name: 'rate-limit-per-ip',
        priority: 2,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } },
        visibilityConfig: {
          cloudWatchMetricsEnabled: true,
          metricName: 'rate-limit-per-ip',
          sampledRequestsEnabled: true,
        },
      },
    ],
  });
}

interface Shape {
  /** MAX_BODY_BYTES of the predict function; null leaves it out. @default '1048576' */
  readonly maxBodyBytes?: string | null;
  readonly overrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[];
  /** Declare the web ACL in a stack of its own, associated across stacks. */
  readonly aclElsewhere?: boolean;
}

/** The serving stack: predict function behind a REST API (POST /predict, GET /model) and a web ACL on its stage. */
function serving({ maxBodyBytes = '1048576', overrides, aclElsewhere = false }: Shape) {
  return synthAssembly((app) => {
    const stack = new Stack(app, 'Serving');
    const predict = new lambda.Function(stack, 'Predict', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code,
      environment: maxBodyBytes === null ? {} : { MAX_BODY_BYTES: maxBodyBytes, MAX_ROWS: '1000' },
    });
    const api = new apigw.RestApi(stack, 'Api', {
      deployOptions: { stageName: 'v1' },
      cloudWatchRole: false,
    });
    const integration = new apigw.LambdaIntegration(predict, { proxy: true, allowTestInvoke: false });
    api.root
      .addResource('predict')
      .addMethod('POST', integration, { authorizationType: apigw.AuthorizationType.IAM });
    api.root
      .addResource('model')
      .addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.IAM });
    const acl = webAcl(aclElsewhere ? new Stack(app, 'Edge') : stack, overrides);
    new wafv2.CfnWebACLAssociation(stack, 'WebAclAssociation', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  });
}

describe('Factory-WafBodyLimit', () => {
  it('reports the web ACL whose Core rule set blocks bodies over 8 KB while predict accepts 1 MiB (the serving shape)', () => {
    expect(messages(checkWafBodyLimit(serving({})))).toEqual([
      expect.stringMatching(
        /^\[Factory-WafBodyLimit\] Serving\/WebAcl: AWS WAF will block \(403\) every request body over 8,192 bytes through AWSManagedRulesCommonRuleSet \(AWSManagedRulesCommonRuleSet rule SizeRestrictions_BODY, action Block\) on stage Serving\/ApiDeploymentStagev1[0-9A-F]{8} of API Serving\/Api[0-9A-F]{8}, which accepts up to 1,048,576 bytes \(MAX_BODY_BYTES of Serving\/Predict[0-9A-F]{8}\); override SizeRestrictions_BODY to Count in the group's RuleActionOverrides\.$/,
      ),
    ]);
  });

  it('follows the association to a web ACL declared in another stack', () => {
    expect(messages(checkWafBodyLimit(serving({ aclElsewhere: true })))).toEqual([
      expect.stringContaining(
        '[Factory-WafBodyLimit] Edge/WebAcl: AWS WAF will block (403) every request body over 8,192 bytes',
      ),
    ]);
  });

  it('passes once SizeRestrictions_BODY is overridden to Count', () => {
    const overrides = [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }];

    expect(messages(checkWafBodyLimit(serving({ overrides })))).toEqual([]);
  });

  it('passes when the API promises no more than the rule lets through', () => {
    expect(messages(checkWafBodyLimit(serving({ maxBodyBytes: '8192' })))).toEqual([]);
  });

  it("takes API Gateway's 10 MB payload quota as the promise of a function that sets no MAX_BODY_BYTES", () => {
    const found = messages(checkWafBodyLimit(serving({ maxBodyBytes: null })));

    expect(found).toEqual([
      expect.stringMatching(
        /which accepts up to 10,485,760 bytes \(API Gateway's 10 MB payload quota \(Serving\/Predict[0-9A-F]{8} sets no MAX_BODY_BYTES\)\)/,
      ),
    ]);
  });

  it('still reports when another rule of the group is overridden but not SizeRestrictions_BODY', () => {
    const overrides = [{ name: 'NoUserAgent_HEADER', actionToUse: { count: {} } }];

    expect(messages(checkWafBodyLimit(serving({ overrides })))).toHaveLength(1);
  });
});
