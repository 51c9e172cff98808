import { Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FactoryConfig } from '../config';
import { houseKey } from '../constructs/house-key';
import { networkPlan, type NetworkPlan } from '../network-plan';

export interface NetworkStackProps extends StackProps {
  readonly config: FactoryConfig;
}

/**
 * A VPC with isolated private subnets (in `network.maxAzs` AZs) and no NAT gateway: what runs in
 * it reaches AWS only through the S3 gateway endpoint and the interface endpoints its callers
 * need (lib/network-plan.ts: every endpoint has a caller, tested against the bundles), so
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
  /** The interface endpoints, by service name (`sagemaker.api`, `ecs-agent`, ...). */
  public readonly interfaceEndpoints: ReadonlyMap<string, ec2.InterfaceVpcEndpoint>;
  /** What the config asks of the network: profile, function placement, endpoints. */
  public readonly plan: NetworkPlan;

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
    const plan = (this.plan = networkPlan(props.config));
    // Lean: one AZ's endpoint serves the whole VPC through private DNS (cross-AZ traffic is
    // billed per GB, an endpoint per AZ by the hour whether used or not).
    const privateSubnets = this.vpc.selectSubnets(subnets).subnets;
    const endpointSubnets = { subnets: privateSubnets.slice(0, plan.endpointAzs) };
    const endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
    for (const need of plan.endpoints) {
      endpoints.set(
        need.service,
        this.vpc.addInterfaceEndpoint(endpointId(need.service), {
          service: new ec2.InterfaceVpcEndpointAwsService(need.service),
          subnets: endpointSubnets,
          privateDnsEnabled: true,
          securityGroups: [this.endpointSecurityGroup],
          open: false,
        }),
      );
    }
    this.interfaceEndpoints = endpoints;
  }
}

/**
 * The construct id of each service's endpoint, as first deployed. A new id would replace the
 * endpoint, and CloudFormation creates the replacement first: its private DNS name would collide
 * with the old endpoint's, which still exists, and the update would fail.
 */
const ENDPOINT_IDS: Readonly<Record<string, string>> = {
  'sagemaker.api': 'SageMakerApi',
  batch: 'Batch',
  'ecr.api': 'Ecr',
  'ecr.dkr': 'EcrDocker',
  logs: 'Logs',
  ecs: 'Ecs',
  'ecs-agent': 'EcsAgent',
  'ecs-telemetry': 'EcsTelemetry',
};

/** The endpoint's construct id: as first deployed, or one made from the service name. */
function endpointId(service: string): string {
  return (
    ENDPOINT_IDS[service] ??
    service
      .split(/[.-]/)
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('')
  );
}
