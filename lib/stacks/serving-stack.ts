import { ArnFormat, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgePlatformKeyLogGroup } from '../acknowledgements';
import { functionNetwork } from '../network-plan';
import { PREDICT_MEMORY_MIB } from '../../lambda/core/function-sizes';
import { PREDICT_BUCKETS, predictEnvironment } from '../../lambda/core/env/predict';
import { MODELS_PREFIX } from '../../lambda/core/models-layout';
import { metricsNamespace, type FactoryConfig } from '../config';
import { NodeFunction } from '../constructs/node-function';

export interface ServingStackProps extends StackProps {
  readonly config: FactoryConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly models: s3.IBucket;
}

/** The API's one stage: part of every URL and of the execution-log group's name. */
export const API_STAGE = 'v1';

/**
 * Serving: `POST /predict` and `GET /model` on a regional REST API, signed with IAM (SigV4) by
 * default or with Cognito user-pool tokens by config, behind a WAF web ACL, throttled, with
 * JSON access logs. The predict function reads only the models prefix.
 */
export class ServingStack extends Stack {
  public readonly function: NodeFunction;
  public readonly api: apigw.RestApi;
  public readonly userPool?: cognito.UserPool;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { serving } = config;
    const removalPolicy = config.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.function = new NodeFunction(this, 'Predict', {
      handler: 'predict',
      description: 'Scores rows with the current model: prediction, contributions, z-scores, anomalies',
      memorySize: PREDICT_MEMORY_MIB,
      timeout: Duration.seconds(10),
      concurrency:
        serving.reservedConcurrency !== null
          ? { reserved: serving.reservedConcurrency }
          : {
              unreservedBecause:
                "No reservation by default: a new account's Lambda quota (as low as 10) has no room for one and the deploy would fail. The API stage throttles requests (serving.rateLimit, serving.burstLimit) and WAF limits each IP; set serving.reservedConcurrency with quotas.lambdaConcurrency to reserve.",
            },
      network: functionNetwork(config, props.vpc),
      logKey: props.key,
      logRetention: config.retention.logDays as logs.RetentionDays,
      stage: config.stage,
      environment: predictEnvironment({
        modelCacheSeconds: serving.modelCacheSeconds,
        maxRows: serving.maxRows,
        maxBodyBytes: serving.maxBodyBytes,
        anomalyZ: serving.anomalyZ,
        fillMissing: serving.fillMissing,
        extraFields: serving.extraFields,
        unknownCategory: serving.unknownCategory,
        metricsNamespace: metricsNamespace(config),
      }),
    }).bindBucket(PREDICT_BUCKETS.models, props.models, { read: true, prefixes: [MODELS_PREFIX] });
    Validations.of(this.function).acknowledge(
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway: a failure returns to the caller, there is no event to keep.',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway: a failure returns to the caller, there is no event to keep.',
      },
    );

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.retention.logDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy,
    });
    acknowledgePlatformKeyLogGroup(accessLogs);

    this.api = new apigw.RestApi(this, 'Api', {
      description: 'aiaas-factory prediction API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logs need the account-level API Gateway role; CDK manages it with the API.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: removalPolicy,
      disableExecuteApiEndpoint: false,
      deployOptions: {
        stageName: API_STAGE,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: serving.rateLimit,
        throttlingBurstLimit: serving.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });

    const authorizer = serving.auth === 'cognito' ? this.cognitoAuthorizer(removalPolicy) : undefined;
    const methodOptions: apigw.MethodOptions = authorizer
      ? { authorizationType: apigw.AuthorizationType.COGNITO, authorizer }
      : { authorizationType: apigw.AuthorizationType.IAM };

    // No test-invoke permission: the console's test button would bypass the stage's auth and WAF.
    const integration = new apigw.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });
    const requestModel = this.api.addModel('PredictRequest', {
      contentType: 'application/json',
      modelName: 'PredictRequest',
      // The edge rejects bodies that are not `{ "rows": [...] }`; the handler then checks each
      // row and lists every problem, which a JSON-schema error from API Gateway cannot.
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        type: apigw.JsonSchemaType.OBJECT,
        required: ['rows'],
        properties: {
          rows: { type: apigw.JsonSchemaType.ARRAY, items: { type: apigw.JsonSchemaType.OBJECT } },
        },
      },
    });
    // API Gateway's own 4xx answers (bad body, missing auth, throttled) are JSON with a message,
    // in the same shape the handler uses.
    this.api.addGatewayResponse('BadBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      templates: {
        'application/json':
          '{"message":"invalid request body: $context.error.validationErrorString","code":"validation_failed"}',
      },
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX,
      templates: {
        'application/json': '{"message":$context.error.messageString,"code":"$context.error.responseType"}',
      },
    });
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.api.root.addResource('predict').addMethod('POST', integration, {
      ...methodOptions,
      requestValidator: validator,
      requestModels: { 'application/json': requestModel },
    });
    this.api.root
      .addResource('model')
      .addMethod('GET', integration, { ...methodOptions, requestValidator: validator });

    this.protectWithWaf(
      props.key,
      config.retention.logDays as logs.RetentionDays,
      removalPolicy,
      serving.maxBodyBytes,
    );
    this.declareExecutionLogs(props.key, config.retention.logDays as logs.RetentionDays, removalPolicy);
    this.acknowledgeApiFindings(serving.auth);
  }

  private cognitoAuthorizer(removalPolicy: RemovalPolicy): apigw.CognitoUserPoolsAuthorizer {
    const pool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy,
    });
    pool.addClient('Client', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
    });
    (this as { userPool?: cognito.UserPool }).userPool = pool;
    return new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [pool] });
  }

  /** AWS managed rule groups and a per-IP rate limit in front of the API stage. */
  private protectWithWaf(
    key: kms.IKey,
    retention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
    maxBodyBytes: number,
  ): void {
    const managed = (
      name: string,
      priority: number,
      ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'predict-api',
        sampledRequestsEnabled: true,
      },
      rules: [
        managed('AWSManagedRulesCommonRuleSet', 0, commonRuleSetOverrides(maxBodyBytes)),
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
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    // WAF delivers only to log groups whose name starts with `aws-waf-logs-`.
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${this.stackName}`,
      retention,
      encryptionKey: key,
      removalPolicy,
    });
    acknowledgePlatformKeyLogGroup(wafLogs);
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
  }

  /**
   * API Gateway writes execution logs (loggingLevel ERROR) to `API-Gateway-Execution-Logs_<api
   * id>/<stage>`, creating the group on first use with no retention and no key. Declared here, it
   * has both; the stage waits for it, so no request can create it first.
   */
  private declareExecutionLogs(
    key: kms.IKey,
    retention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
  ): void {
    const stage = this.api.deploymentStage;
    const group = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${API_STAGE}`,
      retention,
      encryptionKey: key,
      removalPolicy,
    });
    stage.node.addDependency(group);
    acknowledgePlatformKeyLogGroup(group);
  }

  private acknowledgeApiFindings(auth: 'iam' | 'cognito'): void {
    for (const method of this.api.methods) {
      if (auth === 'iam') {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'Callers are authorized with IAM (SigV4-signed requests, AWS_IAM authorization); Cognito is the optional mode (serving.auth = cognito).',
        });
      }
      for (const permission of method.node.findAll().filter((c) => c.node.id.startsWith('ApiPermission'))) {
        Validations.of(permission).acknowledge({
          id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
          reason:
            'The principal is apigateway.amazonaws.com limited by SourceArn to this API, stage, method and path (an Fn::Join the guard rule cannot evaluate).',
        });
      }
    }
    Validations.of(this.api.deploymentStage).acknowledge(
      {
        id: 'NIST.800.53.R5-APIGWSSLEnabled',
        reason:
          'The only backend is a Lambda proxy integration, invoked by API Gateway over the AWS network; a backend client certificate applies to HTTP backends only.',
      },
      {
        id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        reason:
          'Predictions answer POSTed rows and the model card must reflect promotions within the model cache interval; an API cache would serve stale or wrong answers.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'The stage is associated with a WAFv2 web ACL through CfnWebACLAssociation, which this rule does not follow.',
      },
    );
    const role = this.api.node.tryFindChild('CloudWatchRole')?.node.defaultChild;
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AWS-maintained policy API Gateway needs, account-wide, to write execution logs to CloudWatch Logs.',
      });
    }
  }
}

/**
 * The body size above which `SizeRestrictions_BODY` of AWSManagedRulesCommonRuleSet blocks a
 * request: "Inspects for request bodies that are over 8 KB (8,192 bytes)" (AWS WAF developer
 * guide, "Core rule set (CRS) managed rule group"). The limit is fixed by the rule group.
 */
export const WAF_CRS_BODY_LIMIT_BYTES = 8192;

/**
 * Rule overrides for the core rule set so WAF does not contradict the API's own body limit: a
 * 1,000-row batch is ~190 KB, and with the rule in block mode every request over 8 KB (about 44
 * rows) would be refused at the edge. Above 8 KB the rule counts instead (visible in the WAF
 * metrics), and the predict function enforces `serving.maxBodyBytes` itself with a 413 naming the
 * limit; API Gateway's own 10 MB payload quota stands behind it. WAF could not enforce a larger
 * limit anyway: it sees only the first 16 KB of a body sent to API Gateway.
 */
export function commonRuleSetOverrides(
  maxBodyBytes: number,
): wafv2.CfnWebACL.RuleActionOverrideProperty[] | undefined {
  if (maxBodyBytes <= WAF_CRS_BODY_LIMIT_BYTES) return undefined;
  return [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }];
}
