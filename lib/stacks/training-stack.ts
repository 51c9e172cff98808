import * as path from 'node:path';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  IgnoreMode,
  RemovalPolicy,
  Size,
  Stack,
  StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { encodeSchema } from '../../lambda/core/dataset-schema';
import { ec2TypeOf } from '../../lambda/core/instance-facts';
import { sizeTrainingCapacity, type TrainingCapacity } from '../../lambda/core/planner';
import { metricsNamespace, type FactoryConfig } from '../config';
import { houseKey } from '../constructs/house-key';
import { NodeFunction, PROJECT_ROOT } from '../constructs/node-function';
import { grantObjectWrites } from '../constructs/object-grants';

export interface TrainingStackProps extends StackProps {
  readonly config: FactoryConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly curated: s3.IBucket;
  readonly models: s3.IBucket;
}

/** Where training runs write candidate models and shard partials in the models bucket. */
export const TRAINING_PREFIX = 'training/';

/** Errors worth retrying with backoff: throttling and capacity, not bad input. */
const TRANSIENT_ERRORS = [
  'SageMaker.ResourceLimitExceededException',
  'SageMaker.ThrottlingException',
  'SageMaker.AmazonSageMakerException',
  'Batch.ClientException',
  'Batch.ServerException',
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'ThrottlingException',
];

/**
 * Training: the plan step sizes the run with T = n/p, then the same trainer image runs either as
 * a SageMaker training job over p instances (ShardedByS3Key) or as an AWS Batch array job of p
 * children on EC2 plus a reduce job; the candidate is evaluated against the served model and
 * promoted only when better. Capacity ceilings (Batch maxvCpus, SageMaker instance count) come
 * from the planner at synth time for the configured workload.
 */
export class TrainingStack extends Stack {
  public readonly stateMachine: sfn.StateMachine;
  public readonly sageMakerRole: iam.Role;
  public readonly jobQueue: batch.JobQueue;
  public readonly jobDefinition: batch.EcsJobDefinition;
  public readonly computeEnvironments: batch.ManagedEc2EcsComputeEnvironment[];
  public readonly planFunction: NodeFunction;
  public readonly evaluateFunction: NodeFunction;
  public readonly promoteFunction: NodeFunction;
  public readonly recordJobFunction: NodeFunction;
  public readonly image: ecrAssets.DockerImageAsset;
  /** The synth-time plans for the configured workload. */
  public readonly sageMakerCapacity: TrainingCapacity;
  public readonly batchCapacity: TrainingCapacity;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { training } = config;
    const removalPolicy = config.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = config.retention.logDays as logs.RetentionDays;
    const subnets = props.vpc.selectSubnets({ subnetGroupName: 'private' });
    const workload = {
      rowsPerRun: training.rowsPerRun,
      deadlineSeconds: training.deadlineSeconds,
      maxInstances: training.maxInstances,
      startupSeconds: training.startupSeconds,
      secondsPerUnit: training.secondsPerUnit,
      serialSeconds: training.serialSeconds,
    };
    this.sageMakerCapacity = sizeTrainingCapacity({ ...workload, instanceType: training.instanceType });
    const batchType = training.batchInstanceTypes[0];
    this.batchCapacity = sizeTrainingCapacity({ ...workload, instanceType: batchType });

    // --- the trainer image: built at deploy time, nothing is built at synth ---------------
    this.image = new ecrAssets.DockerImageAsset(this, 'TrainerImage', {
      directory: PROJECT_ROOT,
      file: path.join('lambda', 'trainer', 'Dockerfile'),
      platform: ecrAssets.Platform.LINUX_AMD64,
      // .dockerignore at the root admits only package files and lambda/ (also for the hash).
      ignoreMode: IgnoreMode.DOCKER,
    });

    // --- network: training hosts talk to each other (encrypted) and to the VPC endpoints ---
    const trainingSg = new ec2.SecurityGroup(this, 'TrainingSg', {
      vpc: props.vpc,
      description: 'SageMaker training hosts and Batch instances: each other and AWS endpoints only',
      allowAllOutbound: false,
    });
    // Inter-container traffic encryption uses IPsec between hosts: ESP (protocol 50) and IKE
    // (UDP 500), plus the training traffic itself, all inside this group.
    trainingSg.addIngressRule(trainingSg, ec2.Port.allTraffic(), 'training hosts exchange traffic');
    trainingSg.addEgressRule(trainingSg, ec2.Port.allTraffic(), 'training hosts exchange traffic');
    trainingSg.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'VPC interface endpoints',
    );
    trainingSg.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'S3 gateway endpoint (prefix-list routes)',
    );
    Validations.of(trainingSg).acknowledge(
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

    // --- SageMaker ------------------------------------------------------------------------
    this.sageMakerRole = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description:
        'SageMaker training jobs of the platform: read training rows, write candidates and partials',
    });
    this.grantTrainerData(this.sageMakerRole, props);
    this.image.repository.grantPull(this.sageMakerRole);
    this.sageMakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobLogs',
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws/sagemaker/TrainingJobs:*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.sageMakerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs:*]',
      reason:
        'SageMaker writes one log stream per training host into this one fixed log group; stream names are not known in advance.',
    });
    this.sageMakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
      }),
    );
    this.sageMakerRole.addToPrincipalPolicy(
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

    // --- AWS Batch on EC2 -----------------------------------------------------------------
    const volumeKey = batchVolumeKey(this, config);
    const launchTemplate = new ec2.LaunchTemplate(this, 'BatchLaunchTemplate', {
      detailedMonitoring: true,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(50, {
            encrypted: true,
            kmsKey: volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    const instanceRole = new iam.Role(this, 'BatchInstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Batch container instances: join the ECS cluster and pull the trainer image',
      // No AmazonSSMManagedInstanceCore: it would let every instance read any SSM parameter of the
      // account. The instances are short-lived (minvCpus 0), have no SSH key and log to CloudWatch;
      // nobody needs a shell on them.
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role'),
      ],
    });
    Validations.of(instanceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'The AWS-maintained policy AWS Batch documents for its ECS container instances ("Amazon ECS instance role", Batch user guide): the ECS agent registers the instance with the cluster, pulls images from ECR and writes container logs; it is broad (those actions on any cluster, repository and log group), and the instances run only the trainer image.',
    });
    const batchVcpus = this.batchCapacity.maxvCpus;
    const environment = (name: string, spot: boolean) =>
      new batch.ManagedEc2EcsComputeEnvironment(this, name, {
        vpc: props.vpc,
        vpcSubnets: { subnetGroupName: 'private' },
        securityGroups: [trainingSg],
        instanceTypes: training.batchInstanceTypes.map((type) => new ec2.InstanceType(type)),
        useOptimalInstanceClasses: false,
        minvCpus: 0,
        maxvCpus: batchVcpus,
        spot,
        allocationStrategy: spot
          ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
          : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
        launchTemplate,
        instanceRole,
        updateToLatestImageVersion: true,
      });
    const onDemand = environment('OnDemand', false);
    const spot = environment('Spot', true);
    this.computeEnvironments = [onDemand, spot];
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      priority: 1,
      computeEnvironments: (training.spot ? [spot, onDemand] : [onDemand, spot]).map(
        (computeEnvironment, order) => ({
          computeEnvironment,
          order: order + 1,
        }),
      ),
    });

    const jobRole = new iam.Role(this, 'BatchJobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Batch training containers: read training rows, write candidates and partials',
    });
    this.grantTrainerData(jobRole, props);
    const batchLogs = new logs.LogGroup(this, 'BatchLogs', {
      retention: logRetention,
      encryptionKey: props.key,
      removalPolicy,
    });
    Validations.of(batchLogs).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason:
        'Encrypted with the platform KMS key from the data-lake stack (a cross-stack reference the guard rule cannot resolve); a template test asserts KmsKeyId.',
    });
    const facts = this.batchCapacity.instanceFacts;
    this.jobDefinition = new batch.EcsJobDefinition(this, 'TrainerJob', {
      timeout: Duration.seconds(training.maxRuntimeSeconds),
      retryAttempts: 2,
      container: new batch.EcsEc2ContainerDefinition(this, 'TrainerContainer', {
        image: ecs.ContainerImage.fromDockerImageAsset(this.image),
        // Leave room for the ECS agent: one vCPU less than the instance (at least one), 80% memory.
        cpu: Math.max(1, facts.vcpus - 1),
        memory: Size.mebibytes(Math.floor(facts.memoryMiB * 0.8)),
        command: ['batch'],
        jobRole,
        readonlyRootFilesystem: true,
        volumes: [batch.EcsVolume.host({ name: 'scratch', containerPath: '/tmp' })],
        user: '1001',
        logging: ecs.LogDriver.awsLogs({ streamPrefix: 'trainer', logGroup: batchLogs }),
        environment: {
          TRAINER_HOLDOUT: String(training.holdout),
          TRAINER_FILL: training.fill,
          TRAINER_RIDGE: String(training.ridge),
          TRAINER_SCHEMA: encodeSchema(config.dataset),
          TRAINER_INPUT_KIND: 'curated',
        },
      }),
    });

    // --- state machine steps ----------------------------------------------------------------
    const stepFunction = (
      name: string,
      handler: string,
      description: string,
      environment: Record<string, string>,
    ) => {
      const fn = new NodeFunction(this, name, {
        handler,
        description,
        timeout: Duration.minutes(1),
        vpc: props.vpc,
        logKey: props.key,
        logRetention,
        stage: config.stage,
        concurrency: {
          unreservedBecause:
            'Invoked only by the training state machine, once per step of a run (runs start on the schedule or on demand); a reservation would take account concurrency these steps never use.',
        },
        environment: { METRICS_NAMESPACE: metricsNamespace(config), ...environment },
      });
      Validations.of(fn).acknowledge(
        {
          id: 'NIST.800.53.R5-LambdaDLQ',
          reason: 'Invoked synchronously by the state machine, which retries and catches failures itself.',
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason: 'Invoked synchronously by the state machine, which retries and catches failures itself.',
        },
      );
      return fn;
    };
    this.planFunction = stepFunction(
      'Plan',
      'plan',
      'Sizes a training run with T = n/p from the statistics partials',
      {
        TRAINING_ENGINE: training.engine,
        INSTANCE_TYPE: training.engine === 'sagemaker' ? training.instanceType : batchType,
        MAX_INSTANCES: String(
          training.engine === 'sagemaker' ? this.sageMakerCapacity.p : this.batchCapacity.p,
        ),
        DEADLINE_SECONDS: String(training.deadlineSeconds),
        STARTUP_SECONDS: String(training.startupSeconds),
        SECONDS_PER_UNIT: String(training.secondsPerUnit),
        SERIAL_SECONDS: String(training.serialSeconds),
        FILL_MODE: training.fill,
      },
    )
      .bindBucket('CURATED_BUCKET', props.curated, { read: true, prefixes: ['stats/'] })
      .bindBucket('MODELS_BUCKET', props.models, { read: true, prefixes: ['capacity/'] });
    this.evaluateFunction = stepFunction(
      'Evaluate',
      'evaluate',
      'Compares a candidate model with the served one',
      {},
    ).bindBucket('MODELS_BUCKET', props.models, { read: true, prefixes: ['models/', TRAINING_PREFIX] });
    this.promoteFunction = stepFunction(
      'Promote',
      'promote',
      'Publishes a better model and moves the current pointer',
      {},
    ).bindBucket('MODELS_BUCKET', props.models, {
      read: true,
      write: true,
      prefixes: ['models/', TRAINING_PREFIX],
    });

    this.recordJobFunction = stepFunction(
      'RecordJob',
      'record-job',
      'Keeps each finished training job as a calibration record for the planner',
      {},
    ).bindBucket('MODELS_BUCKET', props.models, { write: true, prefixes: ['capacity/records/'] });
    this.recordJobFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeTrainingJobs',
        actions: ['sagemaker:DescribeTrainingJob', 'sagemaker:ListTags'],
        resources: [
          this.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: 'train-*' }),
        ],
      }),
    );
    this.recordJobFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeBatchJobs',
        actions: ['batch:DescribeJobs'],
        resources: ['*'],
      }),
    );
    // The role is a sibling of the function (NodeFunction creates it first), so the finding is on it.
    Validations.of(this.recordJobFunction.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/train-*]',
      reason:
        'Training job names are generated per run (train-<run uuid>); the grant is limited to that name prefix.',
    });

    this.stateMachine = this.buildStateMachine(props, trainingSg, subnets, removalPolicy, logRetention);

    if (training.schedule) {
      const rule = new events.Rule(this, 'Schedule', {
        description: 'Retrain on the configured schedule',
        schedule: events.Schedule.expression(training.schedule),
        targets: [new targets.SfnStateMachine(this.stateMachine, { retryAttempts: 2 })],
      });
      Validations.of(rule).acknowledge({
        id: 'Serverless-EventBusDLQ',
        reason:
          'A scheduled start that fails after two retries shows in the rule FailedInvocations metric (alarmed by the monitoring stack) and the next schedule starts a fresh run; the event itself carries no data to keep.',
      });
    }

    const plan = training.engine === 'sagemaker' ? this.sageMakerCapacity : this.batchCapacity;
    new CfnOutput(this, 'TrainingPlan', {
      description: 'Synth-time plan for the configured workload (T = t0 + s + c·n/p)',
      value: [
        `engine=${training.engine}`,
        `rows=${training.rowsPerRun}`,
        `p=${plan.p}`,
        `T=${Math.round(plan.plannedSeconds)}s`,
        `deadline=${training.deadlineSeconds}s`,
        `feasible=${plan.feasible}`,
        `cost=$${plan.cost.toFixed(2)}`,
      ].join(' '),
    });
    new CfnOutput(this, 'BatchMaxVcpus', {
      value: String(batchVcpus),
      description: `p=${this.batchCapacity.p} × ${facts.vcpus} vCPUs (${ec2TypeOf(batchType)})`,
    });
    new CfnOutput(this, 'SageMakerMaxInstances', { value: String(this.sageMakerCapacity.p) });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
  }

  /**
   * Read the training rows (train/ and clean/), read and write candidates and partials: reads,
   * and object writes without Object Lock actions (grantObjectWrites says why); the trainer
   * deletes nothing.
   */
  private grantTrainerData(role: iam.Role, props: TrainingStackProps): void {
    props.curated.grantRead(role, 'train/*');
    props.curated.grantRead(role, 'clean/*');
    props.models.grantRead(role, `${TRAINING_PREFIX}*`);
    grantObjectWrites(props.models, role, `${TRAINING_PREFIX}*`);
  }

  private buildStateMachine(
    props: TrainingStackProps,
    trainingSg: ec2.SecurityGroup,
    subnets: ec2.SelectedSubnets,
    removalPolicy: RemovalPolicy,
    logRetention: logs.RetentionDays,
  ): sfn.StateMachine {
    const { training } = props.config;
    const transientRetry: sfn.RetryProps = {
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(10),
      maxAttempts: 4,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    };
    const failed = new sfn.Fail(this, 'TrainingFailed', {
      cause: 'A training step failed; see the execution history',
      error: 'TrainingFailed',
    });
    const catchTo = <T extends sfn.TaskStateBase | sfn.CustomState>(state: T): T => {
      state.addRetry(transientRetry);
      state.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
      return state;
    };

    const start = new sfn.Pass(this, 'StartRun', {
      comment: 'One id per run: training job name, candidate and partial locations derive from it',
      parameters: { 'id.$': 'States.UUID()' },
      resultPath: '$.run',
    });
    const planStep = catchTo(
      new tasks.LambdaInvoke(this, 'PlanCapacity', {
        lambdaFunction: this.planFunction,
        payload: sfn.TaskInput.fromObject({ engine: training.engine }),
        payloadResponseOnly: true,
        resultPath: '$.plan',
      }),
    );

    const modelsBucket = props.models.bucketName;
    const curatedBucket = props.curated.bucketName;
    const candidateUri = `States.Format('s3://{}/${TRAINING_PREFIX}{}/model.json', '${modelsBucket}', $.run.id)`;
    const partialsUri = `States.Format('s3://{}/${TRAINING_PREFIX}{}/partials/', '${modelsBucket}', $.run.id)`;
    const inputUri = `States.Format('s3://{}/{}', '${curatedBucket}', $.plan.inputPrefix)`;

    const hyperParameters: Record<string, string> = {
      holdout: String(training.holdout),
      fill: training.fill,
      ridge: String(training.ridge),
      schema: encodeSchema(props.config.dataset),
      input_kind: 'curated',
      'model_s3_uri.$': candidateUri,
      'partials_s3_uri.$': partialsUri,
      'planned_seconds.$': "States.Format('{}', $.plan.plannedSeconds)",
    };
    const trainOnSageMaker = catchTo(
      new sfn.CustomState(this, 'TrainOnSageMaker', {
        stateJson: {
          Type: 'Task',
          Comment: 'The L2 task lacks EnableInterContainerTrafficEncryption, hence a custom state',
          Resource: `arn:${this.partition}:states:::sagemaker:createTrainingJob.sync`,
          Parameters: {
            'TrainingJobName.$': "States.Format('train-{}', $.run.id)",
            AlgorithmSpecification: { TrainingImage: this.image.imageUri, TrainingInputMode: 'File' },
            RoleArn: this.sageMakerRole.roleArn,
            HyperParameters: hyperParameters,
            InputDataConfig: [
              {
                ChannelName: 'train',
                DataSource: {
                  S3DataSource: {
                    S3DataType: 'S3Prefix',
                    'S3Uri.$': inputUri,
                    // n/p: each instance trains on its own shard of the objects.
                    S3DataDistributionType: 'ShardedByS3Key',
                  },
                },
              },
            ],
            OutputDataConfig: {
              S3OutputPath: `s3://${modelsBucket}/${TRAINING_PREFIX}outputs/`,
              KmsKeyId: props.key.keyArn,
            },
            ResourceConfig: {
              'InstanceCount.$': '$.plan.p',
              InstanceType: training.instanceType,
              VolumeSizeInGB: 30,
              VolumeKmsKeyId: props.key.keyArn,
            },
            StoppingCondition: training.spot
              ? {
                  MaxRuntimeInSeconds: training.maxRuntimeSeconds,
                  MaxWaitTimeInSeconds: training.maxRuntimeSeconds * 2,
                }
              : { MaxRuntimeInSeconds: training.maxRuntimeSeconds },
            EnableManagedSpotTraining: training.spot,
            VpcConfig: { SecurityGroupIds: [trainingSg.securityGroupId], Subnets: subnets.subnetIds },
            // Encrypts traffic between instances of multi-instance jobs (IPsec inside the group).
            EnableInterContainerTrafficEncryption: true,
            // Network isolation would block the hosts from writing their partials to S3 (the
            // reduce needs them); the job runs in isolated subnets with endpoints only instead.
            EnableNetworkIsolation: false,
            // n, for the calibration record the record step keeps after the job.
            Tags: [{ Key: 'units', 'Value.$': "States.Format('{}', $.plan.n)" }],
          },
          ResultSelector: {
            'jobName.$': '$.TrainingJobName',
            'status.$': '$.TrainingJobStatus',
            'billableSeconds.$': '$.BillableTimeInSeconds',
          },
          ResultPath: '$.training',
        },
      }),
    );

    const shardEnvironment = {
      TRAINER_SHARDS: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.plan.p')),
      TRAINER_INPUT_S3_URI: sfn.JsonPath.format(
        `s3://${curatedBucket}/{}`,
        sfn.JsonPath.stringAt('$.plan.inputPrefix'),
      ),
      TRAINER_PARTIALS_S3_URI: sfn.JsonPath.format(
        `s3://${modelsBucket}/${TRAINING_PREFIX}{}/partials/`,
        sfn.JsonPath.stringAt('$.run.id'),
      ),
      TRAINER_MODEL_S3_URI: sfn.JsonPath.format(
        `s3://${modelsBucket}/${TRAINING_PREFIX}{}/model.json`,
        sfn.JsonPath.stringAt('$.run.id'),
      ),
      TRAINER_PLANNED_SECONDS: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.plan.plannedSeconds')),
    };
    const submit = (id: string, command: string, arraySize?: number) =>
      catchTo(
        new tasks.BatchSubmitJob(this, id, {
          jobName: `trainer-${command}`,
          jobQueueArn: this.jobQueue.jobQueueArn,
          jobDefinitionArn: this.jobDefinition.jobDefinitionArn,
          arraySize,
          containerOverrides: { command: [command], environment: shardEnvironment },
          // The shard job is what calibration measures: it carries n and its id is kept.
          ...(command === 'batch'
            ? {
                tags: { units: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.plan.n')) },
                resultSelector: { 'jobId.$': '$.JobId' },
                resultPath: '$.batch',
              }
            : { resultPath: sfn.JsonPath.DISCARD }),
        }),
      );
    const reduce = submit('ReduceOnBatch', 'reduce');
    // Batch array jobs need at least two children; a one-instance plan runs a single job.
    const shardsOnBatch = new sfn.Choice(this, 'ShardsOnBatch')
      .when(
        sfn.Condition.numberGreaterThan('$.plan.p', 1),
        submit('TrainShardsOnBatch', 'batch', sfn.JsonPath.numberAt('$.plan.p')).next(reduce),
      )
      .otherwise(submit('TrainOneShardOnBatch', 'batch').next(reduce));

    const evaluate = catchTo(
      new tasks.LambdaInvoke(this, 'EvaluateCandidate', {
        lambdaFunction: this.evaluateFunction,
        payload: sfn.TaskInput.fromObject({ 'candidate.$': candidateUri }),
        payloadResponseOnly: true,
        resultPath: '$.evaluation',
      }),
    );
    const promote = catchTo(
      new tasks.LambdaInvoke(this, 'PromoteCandidate', {
        lambdaFunction: this.promoteFunction,
        // An object built from the evaluation: `TaskInput.fromJsonPathAt` with payloadResponseOnly
        // renders `"Parameters": "$.evaluation"`, a string where ASL wants an object, and Step
        // Functions refuses the definition at CreateStateMachine (aws/aws-cdk#34260).
        payload: sfn.TaskInput.fromObject({
          'better.$': '$.evaluation.better',
          'candidate.$': '$.evaluation.candidate',
        }),
        payloadResponseOnly: true,
        resultPath: '$.promotion',
      }),
    );
    const record = (id: string, payload: Record<string, unknown>) => {
      const step = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.recordJobFunction,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath: '$.calibration',
      });
      // Calibration is best effort: a failed record must not fail the training run.
      step.addRetry(transientRetry);
      step.addCatch(evaluate, { errors: ['States.ALL'], resultPath: '$.calibrationError' });
      return step.next(evaluate);
    };
    const recordSageMaker = record('RecordSageMakerJob', {
      engine: 'sagemaker',
      'trainingJobName.$': '$.training.jobName',
    });
    const recordBatch = record('RecordBatchJob', { engine: 'batch', 'jobId.$': '$.batch.jobId' });
    const done = new sfn.Succeed(this, 'Done');
    const decide = new sfn.Choice(this, 'BetterThanCurrent')
      .when(sfn.Condition.booleanEquals('$.evaluation.better', true), promote.next(done))
      .otherwise(new sfn.Succeed(this, 'KeptCurrentModel'));
    evaluate.next(decide);
    reduce.next(recordBatch);
    trainOnSageMaker.next(recordSageMaker);

    const chooseEngine = new sfn.Choice(this, 'ChooseEngine')
      .when(sfn.Condition.stringEquals('$.plan.engine', 'sagemaker'), trainOnSageMaker)
      .otherwise(shardsOnBatch);

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logRetention,
      encryptionKey: props.key,
      removalPolicy,
    });
    const machine = new sfn.StateMachine(this, 'Pipeline', {
      comment: 'plan (T = n/p) → train on SageMaker or Batch → evaluate → promote',
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(planStep).next(chooseEngine)),
      timeout: Duration.seconds(training.maxRuntimeSeconds * (training.spot ? 2 : 1) + 3600),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantSageMakerTraining(machine, props.key);
    Validations.of(machine.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/train-*]',
        reason:
          'Training job names are generated per run (train-<run uuid>); the grant is limited to that name prefix.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]',
        reason:
          'Tags go on, and an aborted run terminates, the Batch jobs the state machine itself submits; their ids exist only once submitted, so the ARNs cannot be named in advance.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job-definition/*]',
        reason:
          'The BatchSubmitJob integration grants SubmitJob on job definitions by revision; submission also requires the one job queue, which is named exactly.',
      },
    );
    Validations.of(logGroup).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason:
        'Encrypted with the platform KMS key from the data-lake stack (a cross-stack reference the guard rule cannot resolve); a template test asserts KmsKeyId.',
    });
    return machine;
  }

  /** What the `.sync` SageMaker integration needs; the custom state adds no permissions itself. */
  private grantSageMakerTraining(machine: sfn.StateMachine, key: kms.IKey): void {
    const jobs = this.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: 'train-*' });
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobs',
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
        ],
        resources: [jobs],
      }),
    );
    // BatchSubmitJob with tags needs TagResource on the job it creates; `.sync` (Run a Job)
    // polls the job with DescribeJobs and, when the run is aborted or times out, stops it with
    // TerminateJob ("IAM policies for AWS Batch", Step Functions developer guide). CDK's
    // BatchSubmitJob grants only SubmitJob and the events rule. DescribeJobs has no resource-level
    // permissions; TerminateJob is limited to jobs.
    const batchJobs = this.formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TagAndStopBatchJobs',
        actions: ['batch:TagResource', 'batch:TerminateJob'],
        resources: [batchJobs],
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WatchBatchJobs',
        actions: ['batch:DescribeJobs'],
        resources: ['*'],
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SyncIntegrationRule',
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          this.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
          }),
        ],
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassTrainingRole',
        actions: ['iam:PassRole'],
        resources: [this.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // Encrypted training volumes and outputs: SageMaker creates grants on the key for the job.
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TrainingVolumeKey',
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
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
function batchVolumeKey(scope: Construct, config: FactoryConfig): kms.Key {
  const stack = Stack.of(scope);
  const key = houseKey(scope, 'BatchVolumeKey', {
    description: `${config.prefix} Batch instance volumes`,
    stage: config.stage,
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
