import * as path from 'node:path';
import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgePlatformKeyLogGroup } from '../acknowledgements';
import { grantObjectWrites } from './object-grants';

/** Repository root: handlers are bundled from `lambda/handlers/<name>.ts`. */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface NodeFunctionProps {
  /** The handler's name, e.g. `preprocess`: its service name in logs and metrics. */
  readonly handler: string;
  /**
   * File name under lambda/handlers/ without extension, when it is not the handler's name (one
   * handler with an entry per training engine, so each bundle holds one engine's client).
   * @default the handler's name
   */
  readonly entry?: string;
  readonly description: string;
  /** Chosen from the handler's benchmark. @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /**
   * Where the function runs: in the VPC's private subnets (reaching AWS through its endpoints),
   * or outside it, with the true reason it needs nothing there (it becomes the acknowledgement
   * of the "Lambda inside VPC" findings). lib/network-plan.ts decides which.
   */
  readonly network: FunctionNetwork;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  /** Key that encrypts the log group (its policy must admit CloudWatch Logs). */
  readonly logKey: kms.IKey;
  /**
   * A reserved concurrency, or the true reason the function has none: the reason becomes the
   * acknowledgement of NIST.800.53.R5-LambdaConcurrency, so every function must state one.
   */
  readonly concurrency: { readonly reserved: number } | { readonly unreservedBecause: string };
  /** `dev` deletes the log group with the stack; `prod` keeps it. */
  readonly stage: 'dev' | 'prod';
  /** Extra ephemeral storage for handlers that stage objects in /tmp. @default 512 MiB */
  readonly ephemeralStorageSize?: number;
}

/** A function's network: in the VPC, or outside it for a stated reason. */
export type FunctionNetwork = { readonly vpc: ec2.IVpc } | { readonly outsideVpcBecause: string };

/**
 * The house Lambda function: Node.js 24 on ARM64 (cheaper per GB-second), X-Ray tracing, the SDK
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
    const vpc = 'vpc' in props.network ? props.network.vpc : undefined;
    const role = executionRole(scope, `${id}Role`, logGroup, vpc !== undefined);
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, 'lambda', 'handlers', `${props.entry ?? props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc,
      // The 'private' group: isolated by default, with egress only when NAT is configured.
      vpcSubnets: vpc ? { subnetGroupName: 'private' } : undefined,
      securityGroups: vpc ? props.securityGroups : undefined,
      reservedConcurrentExecutions: 'reserved' in props.concurrency ? props.concurrency.reserved : undefined,
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
        target: 'node24',
        format: OutputFormat.CJS,
        // Prefer the ES-module builds of dependencies so esbuild can tree-shake the SDK and
        // Powertools (the predict bundle drops from 629 KB to 472 KB).
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too: pinned versions, smaller cold start than the runtime's copy.
        externalModules: [],
        forceDockerBundling: false,
        // index.meta.json beside the bundle: test/lib/network-plan.test.ts reads from it which
        // SDK clients the deployed code contains, so no interface endpoint goes without a caller.
        metafile: true,
      },
    });
    acknowledgeHouseDefaults(this, logGroup, role, props.network);
    if ('unreservedBecause' in props.concurrency) {
      Validations.of(this).acknowledge({
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: props.concurrency.unreservedBecause,
      });
    }
  }

  /**
   * Grants access to a bucket and sets the environment variable that names it, in one call, so
   * the two never drift apart. `prefixes` narrows the grant to keys under those prefixes.
   */
  bindBucket(variable: string, bucket: s3.IBucket, access: BucketAccess): this {
    this.addEnvironment(variable, bucket.bucketName);
    const patterns = access.prefixes?.map((prefix) => `${prefix}*`) ?? ['*'];
    for (const pattern of patterns) {
      if (access.read) bucket.grantRead(this, pattern);
      if (access.write) grantObjectWrites(bucket, this, pattern);
    }
    return this;
  }
}

export interface BucketAccess {
  readonly read?: boolean;
  readonly write?: boolean;
  /** Key prefixes the grant is limited to (e.g. `clean/`). @default the whole bucket */
  readonly prefixes?: readonly string[];
}

/**
 * The function's own execution role instead of AWSLambdaBasicExecutionRole and
 * AWSLambdaVPCAccessExecutionRole, which both allow log writes to every log group of the account
 * (`logs:*` actions on `*`): log streams only in this function's group, and the EC2 network
 * interface actions Lambda needs to attach the function to the VPC ("Attaching Lambda functions to
 * an Amazon VPC", Lambda developer guide: CreateNetworkInterface, DescribeNetworkInterfaces,
 * DescribeSubnets, DeleteNetworkInterface, AssignPrivateIpAddresses, UnassignPrivateIpAddresses).
 * X-Ray and data grants are added to it by CDK and `bindBucket`.
 */
function executionRole(scope: Construct, id: string, logGroup: logs.LogGroup, inVpc: boolean): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  if (!inVpc) return role;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'VpcNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  return role;
}

/** Findings every house function has, with the reason the house default is what it is. */
function acknowledgeHouseDefaults(
  fn: NodejsFunction,
  logGroup: logs.LogGroup,
  role: iam.Role,
  network: FunctionNetwork,
): void {
  acknowledgePlatformKeyLogGroup(logGroup);
  if ('outsideVpcBecause' in network) {
    const reason = network.outsideVpcBecause;
    Validations.of(fn).acknowledge(
      { id: 'cdk-validator-cfnguard::lambda_inside_vpc_check', reason },
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason },
    );
    return;
  }
  Validations.of(fn).acknowledge({
    id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
    reason:
      'The function runs in the VPC isolated subnets; its SubnetIds are a cross-stack reference the guard rule cannot resolve, and template tests assert VpcConfig.',
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Lambda creates, describes and deletes the ENIs that attach the function to the VPC itself, under ids unknown before it does; the Lambda developer guide lists these EC2 actions on Resource "*" for VPC access.',
  });
}
