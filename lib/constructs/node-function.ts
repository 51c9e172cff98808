import * as path from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root: handlers are bundled from `lambda/handlers/<name>.ts`. */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface NodeFunctionProps {
  /** File name under lambda/handlers/ without extension, e.g. `preprocess`. */
  readonly handler: string;
  readonly description: string;
  /** Chosen from the handler's benchmark. @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /** Functions run in the VPC's isolated subnets and reach AWS through endpoints. */
  readonly vpc: ec2.IVpc;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  /** Key that encrypts the log group (its policy must admit CloudWatch Logs). */
  readonly logKey: kms.IKey;
  /** Reserved concurrency, so one function cannot starve the account. @default none */
  readonly reservedConcurrentExecutions?: number;
  /** `dev` deletes the log group with the stack; `prod` keeps it. */
  readonly stage: 'dev' | 'prod';
  /** Extra ephemeral storage for handlers that stage objects in /tmp. @default 512 MiB */
  readonly ephemeralStorageSize?: number;
}

/**
 * The house Lambda function: Node.js 22 on ARM64 (cheaper per GB-second), X-Ray tracing, the SDK
 * bundled and minified by local esbuild (synth needs no Docker and no network), source maps on,
 * and an explicit KMS-encrypted log group with retention rather than the implicit never-expiring one.
 */
export class NodeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: props.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'lambda', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: props.securityGroups,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ephemeralStorageSize: props.ephemeralStorageSize
        ? Size.mebibytes(props.ephemeralStorageSize)
        : undefined,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handler,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // Bundle the AWS SDK too: pinned versions, smaller cold start than the runtime's copy.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }
}
