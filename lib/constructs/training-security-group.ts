import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface TrainingSecurityGroupProps {
  /** The VPC whose isolated subnets the training hosts run in. */
  readonly vpc: ec2.IVpc;
}

/**
 * The network of the training hosts, shared by SageMaker training jobs and Batch instances: they
 * talk to each other (encrypted) and to the VPC endpoints, nothing else.
 */
export class TrainingSecurityGroup extends ec2.SecurityGroup {
  constructor(scope: Construct, id: string, props: TrainingSecurityGroupProps) {
    super(scope, id, {
      vpc: props.vpc,
      description: 'SageMaker training hosts and Batch instances: each other and AWS endpoints only',
      allowAllOutbound: false,
    });
    // Inter-container traffic encryption uses IPsec between hosts: ESP (protocol 50) and IKE
    // (UDP 500), plus the training traffic itself, all inside this group.
    this.addIngressRule(this, ec2.Port.allTraffic(), 'training hosts exchange traffic');
    this.addEgressRule(this, ec2.Port.allTraffic(), 'training hosts exchange traffic');
    this.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'VPC interface endpoints');
    this.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'S3 gateway endpoint (prefix-list routes)');
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-EC23',
        reason:
          'The rule this flags is egress HTTPS for the S3 gateway endpoint, whose prefix list is routed in the isolated subnets; ingress is only from this group itself.',
      },
      {
        id: 'NIST.800.53.R5-EC2RestrictedCommonPorts',
        reason:
          'Ingress is only from this security group itself (training hosts), never from an address range.',
      },
      {
        id: 'NIST.800.53.R5-EC2RestrictedSSH',
        reason:
          'Ingress is only from this security group itself (training hosts); there is no SSH key and no Session Manager access.',
      },
      {
        id: 'NIST.800.53.R5-EC2RestrictedInbound',
        reason:
          'Ingress is only from this security group itself (training hosts), never from an address range.',
      },
    );
  }
}
