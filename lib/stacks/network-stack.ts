import { Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FactoryConfig } from '../config';
import { houseKey } from '../constructs/house-key';

export interface NetworkStackProps extends StackProps {
  readonly config: FactoryConfig;
}

/** Interface endpoints the training, serving and plan steps need to reach AWS without internet. */
const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
  SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  Batch: ec2.InterfaceVpcEndpointAwsService.BATCH,
  Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Ecs: ec2.InterfaceVpcEndpointAwsService.ECS,
  EcsAgent: ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
  EcsTelemetry: ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
  Ec2: ec2.InterfaceVpcEndpointAwsService.EC2,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

/**
 * A VPC with isolated private subnets in two AZs and no NAT gateway: training, Batch instances
 * and functions reach AWS only through the S3 gateway endpoint and interface endpoints, so
 * production data never crosses the internet. Flow logs record every rejected and accepted flow.
 */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.Vpc;
  /** The S3 gateway endpoint, for bucket policies that admit only in-VPC access. */
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** Encrypts the network's log groups (flow logs, the default-SG provider's logs). */
  public readonly flowLogKey: kms.Key;
  /** Security group of the interface endpoints: HTTPS from inside the VPC only. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;

  /**
   * The region's AZs as CloudFormation resolves them (`Fn::GetAZs`), never a lookup: with
   * `factory.account` and `factory.region` set, the default would call EC2 at synth time, so
   * `cdk synth` (and CI) would need AWS credentials. Three tokens cover `network.maxAzs`.
   */
  override get availabilityZones(): string[] {
    return [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()));
  }

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network, stage, retention } = props.config;
    const isolated = network.natGateways === 0;
    const cidr = '10.40.0.0/16';

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs: network.maxAzs,
      natGateways: network.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: isolated
        ? [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }]
        : [
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
            { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
          ],
    });

    // The network has its own key, so the data-lake stack can depend on the network (for the
    // endpoint-only bucket policy) without a cycle.
    const flowLogKey = (this.flowLogKey = houseKey(this, 'FlowLogKey', {
      description: `${props.config.prefix} VPC flow logs`,
      stage,
    }));
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: retention.logDays as logs.RetentionDays,
      encryptionKey: flowLogKey,
      removalPolicy: stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    const subnets = {
      subnetType: isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [subnets],
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
  }
}
