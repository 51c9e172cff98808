import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('network stack', () => {
  const template = Template.fromStack(platform().stacks.network);

  it('has only isolated private subnets in two AZs and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  it('adds an S3 gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
  });

  it('has no interface endpoint on the lean dev network with SageMaker: nothing inside calls one', () => {
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
  });

  it.each(['sagemaker.api'])('gives prod a private-DNS interface endpoint in each AZ for %s', (service) => {
    const prod = Template.fromStack(platform({ stage: 'prod' }).stacks.network);
    prod.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: [Match.anyValue(), Match.anyValue()],
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
    });
  });

  it('keeps the construct ids endpoints were first deployed with (a new id would collide on private DNS)', () => {
    const batch = Template.fromStack(
      platform({ stage: 'prod', training: { engine: 'batch' } }).stacks.network,
    );
    const ids = Object.keys(
      batch.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    );
    expect(ids.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      [
        'VpcBatch',
        'VpcEcr',
        'VpcEcrDocker',
        'VpcEcs',
        'VpcEcsAgent',
        'VpcEcsTelemetry',
        'VpcLogs',
        // promote and approval call the Model Registry on either engine.
        'VpcSageMakerApi',
      ].sort(),
    );
  });

  it('runs in one AZ when the lean profile asks for one', () => {
    const single = Template.fromStack(platform({ network: { maxAzs: 1 } }).stacks.network);
    single.resourceCountIs('AWS::EC2::Subnet', 1);
  });

  it('admits only HTTPS from the VPC to the endpoints', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
  });

  it('records all traffic in KMS-encrypted flow logs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlowLogKey'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  it('encrypts flow logs with its own rotating key, so the data lake may depend on the network', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('closes the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it('adds public subnets only when NAT gateways are configured', () => {
    const egress = Template.fromStack(platform({ network: { natGateways: 1 } }).stacks.network);
    egress.resourceCountIs('AWS::EC2::NatGateway', 1);
    egress.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
