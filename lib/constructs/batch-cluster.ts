import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgePlatformKeyLogGroup } from '../acknowledgements';
import type { TrainingCapacity } from '../../lambda/core/planner';
import { houseKey } from './house-key';
import { grantTrainerData, type TrainerBuckets } from './trainer-data';

export interface BatchClusterProps extends TrainerBuckets {
  readonly vpc: ec2.IVpc;
  /** The training hosts' group (shared with SageMaker training jobs). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** EC2 instance types of the compute environments. */
  readonly instanceTypes: readonly string[];
  /**
   * The planner's synth-time sizing for the first instance type: its maxvCpus caps the compute
   * environments, its instance facts size the container.
   */
  readonly capacity: TrainingCapacity;
  /** Put the Spot compute environment first in the queue (on-demand stays as the fallback). */
  readonly spotFirst: boolean;
  /** The image the jobs run. */
  readonly image: ecrAssets.DockerImageAsset;
  /** Run-independent `TRAINER_*` settings of the container. */
  readonly trainerEnvironment: Record<string, string>;
  /** Timeout of one job attempt. */
  readonly maxRuntimeSeconds: number;
  /** Encrypts the job log group (its policy must admit CloudWatch Logs). */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** `dev` deletes the log group and the volume key with the stack; `prod` keeps them. */
  readonly stage: 'dev' | 'prod';
  /** Starts the volume key's description, e.g. `aiaas-factory`. */
  readonly namePrefix: string;
}

/**
 * AWS Batch on EC2 for the trainer: on-demand and Spot compute environments (minvCpus 0) from a
 * hardened launch template, one job queue, and the job definition of the trainer container.
 */
export class BatchCluster extends Construct {
  public readonly volumeKey: kms.Key;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly instanceRole: iam.Role;
  public readonly onDemand: batch.ManagedEc2EcsComputeEnvironment;
  public readonly spot: batch.ManagedEc2EcsComputeEnvironment;
  /** On-demand first, then Spot (the queue's order is `spotFirst`'s). */
  public readonly computeEnvironments: batch.ManagedEc2EcsComputeEnvironment[];
  public readonly jobQueue: batch.JobQueue;
  public readonly jobRole: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly jobDefinition: batch.EcsJobDefinition;

  constructor(scope: Construct, id: string, props: BatchClusterProps) {
    super(scope, id);
    this.volumeKey = batchVolumeKey(this, props);
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      detailedMonitoring: true,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(50, {
            encrypted: true,
            kmsKey: this.volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Batch container instances: join the ECS cluster and pull the trainer image',
      // No AmazonSSMManagedInstanceCore: it would let every instance read any SSM parameter of the
      // account. The instances are short-lived (minvCpus 0), have no SSH key and log to CloudWatch;
      // nobody needs a shell on them.
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role'),
      ],
    });
    Validations.of(this.instanceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'The AWS-maintained policy AWS Batch documents for its ECS container instances ("Amazon ECS instance role", Batch user guide): the ECS agent registers the instance with the cluster, pulls images from ECR and writes container logs; it is broad (those actions on any cluster, repository and log group), and the instances run only the trainer image.',
    });
    const environment = (name: string, spot: boolean) =>
      new batch.ManagedEc2EcsComputeEnvironment(this, name, {
        vpc: props.vpc,
        vpcSubnets: { subnetGroupName: 'private' },
        securityGroups: [props.securityGroup],
        instanceTypes: props.instanceTypes.map((type) => new ec2.InstanceType(type)),
        useOptimalInstanceClasses: false,
        minvCpus: 0,
        maxvCpus: props.capacity.maxvCpus,
        spot,
        allocationStrategy: spot
          ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
          : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
        launchTemplate: this.launchTemplate,
        instanceRole: this.instanceRole,
        updateToLatestImageVersion: true,
      });
    this.onDemand = environment('OnDemand', false);
    this.spot = environment('Spot', true);
    this.computeEnvironments = [this.onDemand, this.spot];
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      priority: 1,
      computeEnvironments: (props.spotFirst ? [this.spot, this.onDemand] : [this.onDemand, this.spot]).map(
        (computeEnvironment, order) => ({
          computeEnvironment,
          order: order + 1,
        }),
      ),
    });

    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Batch training containers: read training rows, write candidates and partials',
    });
    grantTrainerData(this.jobRole, props);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: props.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    acknowledgePlatformKeyLogGroup(this.logGroup);
    const facts = props.capacity.instanceFacts;
    this.jobDefinition = new batch.EcsJobDefinition(this, 'TrainerJob', {
      timeout: Duration.seconds(props.maxRuntimeSeconds),
      retryAttempts: 2,
      container: new batch.EcsEc2ContainerDefinition(this, 'TrainerContainer', {
        image: ecs.ContainerImage.fromDockerImageAsset(props.image),
        // Leave room for the ECS agent: one vCPU less than the instance (at least one), 80% memory.
        cpu: Math.max(1, facts.vcpus - 1),
        memory: Size.mebibytes(Math.floor(facts.memoryMiB * 0.8)),
        command: ['batch'],
        jobRole: this.jobRole,
        readonlyRootFilesystem: true,
        volumes: [batch.EcsVolume.host({ name: 'scratch', containerPath: '/tmp' })],
        user: '1001',
        logging: ecs.LogDriver.awsLogs({ streamPrefix: 'trainer', logGroup: this.logGroup }),
        environment: props.trainerEnvironment,
      }),
    });
  }
}

/**
 * The key of the Batch instances' EBS volumes. AWS Batch launches its instances through an EC2
 * Auto Scaling group, and Auto Scaling uses its service-linked role, which has no access to a
 * customer-managed key until the key policy gives it ("Required AWS KMS key policy for use with
 * encrypted volumes", EC2 Auto Scaling user guide: use of the key, and CreateGrant for AWS
 * resources). Without it every instance launch fails and Batch jobs wait in RUNNABLE forever.
 *
 * The statements name the role through `aws:PrincipalArn` with `Principal: *` instead of as the
 * principal: on a fresh account `AWSServiceRoleForAutoScaling` may not exist yet (Auto Scaling
 * creates it on first use), and KMS refuses a key policy naming a principal that does not exist
 * (MalformedPolicyDocumentException). `kms:CallerAccount` keeps it to this account. A key of its
 * own, rather than the platform key, keeps this grant off the data buckets' key.
 */
function batchVolumeKey(scope: Construct, props: Pick<BatchClusterProps, 'namePrefix' | 'stage'>): kms.Key {
  const stack = Stack.of(scope);
  const key = houseKey(scope, 'VolumeKey', {
    description: `${props.namePrefix} Batch instance volumes`,
    stage: props.stage,
    admitLogs: false,
  });
  const autoScaling = {
    ArnEquals: {
      'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    },
    StringEquals: { 'kms:CallerAccount': stack.account },
  };
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AutoScalingUsesKeyForVolumes',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: autoScaling,
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AutoScalingAttachesVolumes',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { ...autoScaling, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
  return key;
}
