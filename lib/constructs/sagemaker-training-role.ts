import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { wildcardResourceFinding } from '../acknowledgements';
import { grantTrainerData, type TrainerBuckets } from './trainer-data';

export interface SageMakerTrainingRoleProps extends TrainerBuckets {
  /** The image the training jobs run; the role pulls it. */
  readonly image: ecrAssets.DockerImageAsset;
}

/**
 * The role SageMaker training jobs run as: the trainer's data, the trainer image, the training
 * job log group and metrics namespace, and the network interfaces of a job in the VPC.
 */
export class SageMakerTrainingRole extends iam.Role {
  constructor(scope: Construct, id: string, props: SageMakerTrainingRoleProps) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description:
        'SageMaker training jobs of the platform: read training rows, write candidates and partials',
    });
    grantTrainerData(this, props);
    props.image.repository.grantPull(this);
    const trainingJobLogs = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/TrainingJobs:*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobLogs',
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [trainingJobLogs],
      }),
    );
    Validations.of(this).acknowledge({
      id: wildcardResourceFinding(this, trainingJobLogs),
      reason:
        'SageMaker writes one log stream per training host into this one fixed log group; stream names are not known in advance.',
    });
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
      }),
    );
    this.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrainingInVpc',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:CreateNetworkInterfacePermission',
          'ec2:DeleteNetworkInterface',
          'ec2:DeleteNetworkInterfacePermission',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }),
    );
  }
}
