import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { TrainingEngine } from '../../lambda/core/calibration';
import { candidateKey, partialsPrefix, SAGEMAKER_OUTPUT_PREFIX } from '../../lambda/core/models-layout';
import { HYPERPARAMETER_OF, toTrainerEnvironment } from '../../lambda/core/trainer-contract';
import { acknowledgePlatformKeyLogGroup, wildcardResourceFinding } from '../acknowledgements';
import { TRAINING_JOB_NAME_PREFIX, trainingJobsArn } from './training-jobs';

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

/** The Lambda steps the state machine invokes. */
export interface TrainingStepFunctions {
  readonly plan: lambda.IFunction;
  readonly evaluate: lambda.IFunction;
  readonly promote: lambda.IFunction;
  readonly recordJob: lambda.IFunction;
}

export interface TrainingStateMachineProps {
  /** The engine the plan step is asked for (it may choose by the plan). */
  readonly engine: TrainingEngine;
  /** Managed spot training on SageMaker (with twice the runtime to wait for capacity). */
  readonly spot: boolean;
  /** SageMaker training instance type. */
  readonly instanceType: string;
  /** Runtime cap of one training job; the state machine times out an hour after it. */
  readonly maxRuntimeSeconds: number;
  /** The run-independent trainer settings (SageMaker hyperparameters: every value a string). */
  readonly hyperParameters: Record<string, string>;
  readonly image: ecrAssets.DockerImageAsset;
  /** The role SageMaker training jobs run as (passed to SageMaker). */
  readonly sageMakerRole: iam.IRole;
  /** SageMaker training jobs run in the VPC's isolated subnets, in this group. */
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts training volumes and outputs, and the state machine's log group. */
  readonly key: kms.IKey;
  /** Holds the rows a run trains on (the plan names the prefix). */
  readonly curated: s3.IBucket;
  /** Receives candidates and partials under the training prefix. */
  readonly models: s3.IBucket;
  readonly jobQueue: batch.IJobQueue;
  readonly jobDefinition: batch.IJobDefinition;
  readonly steps: TrainingStepFunctions;
  readonly logRetention: logs.RetentionDays;
  /** `dev` deletes the log group with the stack; `prod` keeps it. */
  readonly stage: 'dev' | 'prod';
}

/**
 * The training run: plan (T = n/p) → train on SageMaker or Batch → keep the job as a calibration
 * record → evaluate the candidate against the served model → register it in the Model Registry and
 * promote it only when better (or, under manual approval, once a person approves it).
 * Transient errors are retried with backoff; any other failure ends in TrainingFailed.
 */
export class TrainingStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TrainingStateMachineProps) {
    super(scope, id);
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
        lambdaFunction: props.steps.plan,
        payload: sfn.TaskInput.fromObject({ engine: props.engine }),
        payloadResponseOnly: true,
        resultPath: '$.plan',
      }),
    );

    const modelsBucket = props.models.bucketName;
    const curatedBucket = props.curated.bucketName;
    // `{}` is the run id, filled in by States.Format.
    const candidateUri = `States.Format('s3://{}/${candidateKey('{}')}', '${modelsBucket}', $.run.id)`;
    const partialsUri = `States.Format('s3://{}/${partialsPrefix('{}')}', '${modelsBucket}', $.run.id)`;
    const inputUri = `States.Format('s3://{}/{}', '${curatedBucket}', $.plan.inputPrefix)`;

    const hyperParameters: Record<string, string> = {
      ...props.hyperParameters,
      // Per run: JSONPath fields (`<name>.$`), named by the trainer contract.
      [`${HYPERPARAMETER_OF.modelS3Uri}.$`]: candidateUri,
      [`${HYPERPARAMETER_OF.partialsS3Uri}.$`]: partialsUri,
      [`${HYPERPARAMETER_OF.plannedSeconds}.$`]: "States.Format('{}', $.plan.plannedSeconds)",
    };
    const trainOnSageMaker = catchTo(
      new sfn.CustomState(this, 'TrainOnSageMaker', {
        stateJson: {
          Type: 'Task',
          Comment: 'The L2 task lacks EnableInterContainerTrafficEncryption, hence a custom state',
          Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createTrainingJob.sync`,
          Parameters: {
            'TrainingJobName.$': `States.Format('${TRAINING_JOB_NAME_PREFIX}{}', $.run.id)`,
            AlgorithmSpecification: { TrainingImage: props.image.imageUri, TrainingInputMode: 'File' },
            RoleArn: props.sageMakerRole.roleArn,
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
              S3OutputPath: `s3://${modelsBucket}/${SAGEMAKER_OUTPUT_PREFIX}`,
              KmsKeyId: props.key.keyArn,
            },
            ResourceConfig: {
              'InstanceCount.$': '$.plan.p',
              InstanceType: props.instanceType,
              VolumeSizeInGB: 30,
              VolumeKmsKeyId: props.key.keyArn,
            },
            StoppingCondition: props.spot
              ? {
                  MaxRuntimeInSeconds: props.maxRuntimeSeconds,
                  MaxWaitTimeInSeconds: props.maxRuntimeSeconds * 2,
                }
              : { MaxRuntimeInSeconds: props.maxRuntimeSeconds },
            EnableManagedSpotTraining: props.spot,
            VpcConfig: {
              SecurityGroupIds: [props.securityGroup.securityGroupId],
              Subnets: props.vpc.selectSubnets({ subnetGroupName: 'private' }).subnetIds,
            },
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

    // The Batch spelling (TRAINER_*) of the per-run settings, through the trainer contract.
    const shardEnvironment = toTrainerEnvironment({
      [HYPERPARAMETER_OF.shards]: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.plan.p')),
      [HYPERPARAMETER_OF.inputS3Uri]: sfn.JsonPath.format(
        `s3://${curatedBucket}/{}`,
        sfn.JsonPath.stringAt('$.plan.inputPrefix'),
      ),
      [HYPERPARAMETER_OF.partialsS3Uri]: sfn.JsonPath.format(
        `s3://${modelsBucket}/${partialsPrefix('{}')}`,
        sfn.JsonPath.stringAt('$.run.id'),
      ),
      [HYPERPARAMETER_OF.modelS3Uri]: sfn.JsonPath.format(
        `s3://${modelsBucket}/${candidateKey('{}')}`,
        sfn.JsonPath.stringAt('$.run.id'),
      ),
      [HYPERPARAMETER_OF.plannedSeconds]: sfn.JsonPath.format(
        '{}',
        sfn.JsonPath.stringAt('$.plan.plannedSeconds'),
      ),
    });
    const submit = (id: string, command: string, arraySize?: number) =>
      catchTo(
        new tasks.BatchSubmitJob(this, id, {
          jobName: `trainer-${command}`,
          jobQueueArn: props.jobQueue.jobQueueArn,
          jobDefinitionArn: props.jobDefinition.jobDefinitionArn,
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
        lambdaFunction: props.steps.evaluate,
        payload: sfn.TaskInput.fromObject({ 'candidate.$': candidateUri }),
        payloadResponseOnly: true,
        resultPath: '$.evaluation',
      }),
    );
    const promote = catchTo(
      new tasks.LambdaInvoke(this, 'PromoteCandidate', {
        lambdaFunction: props.steps.promote,
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
        lambdaFunction: props.steps.recordJob,
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
    // Promote runs on both branches of the evaluation: it registers every candidate in the Model
    // Registry (Approved, Rejected, or PendingManualApproval) and moves the pointer only when better.
    const done = new sfn.Succeed(this, 'Done');
    const decide = new sfn.Choice(this, 'Served')
      .when(sfn.Condition.booleanEquals('$.promotion.promoted', true), done)
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.promotion.awaitingApproval'),
          sfn.Condition.booleanEquals('$.promotion.awaitingApproval', true),
        ),
        new sfn.Succeed(this, 'AwaitingApproval', {
          comment: 'Better, registered PendingManualApproval: the approval rule serves it once approved',
        }),
      )
      .otherwise(new sfn.Succeed(this, 'KeptCurrentModel'));
    evaluate.next(promote).next(decide);
    reduce.next(recordBatch);
    trainOnSageMaker.next(recordSageMaker);

    const chooseEngine = new sfn.Choice(this, 'ChooseEngine')
      .when(sfn.Condition.stringEquals('$.plan.engine', 'sagemaker'), trainOnSageMaker)
      .otherwise(shardsOnBatch);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: props.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // 'Default' leaves the state machine's logical id (and its role's) what it was before this
    // construct wrapped it, and with it the stack output the monitoring stack reads its ARN from.
    this.stateMachine = new sfn.StateMachine(this, 'Default', {
      comment: 'plan (T = n/p) → train on SageMaker or Batch → evaluate → register and promote',
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(planStep).next(chooseEngine)),
      timeout: Duration.seconds(props.maxRuntimeSeconds * (props.spot ? 2 : 1) + 3600),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantSageMakerTraining(props.sageMakerRole, props.key);
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: wildcardResourceFinding(this, trainingJobsArn(this)),
        reason:
          'Training job names are generated per run (train-<run uuid>); the grant is limited to that name prefix.',
      },
      {
        id: wildcardResourceFinding(
          this,
          Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' }),
        ),
        reason:
          'Tags go on, and an aborted run terminates, the Batch jobs the state machine itself submits; their ids exist only once submitted, so the ARNs cannot be named in advance.',
      },
      {
        id: wildcardResourceFinding(
          this,
          Stack.of(this).formatArn({ service: 'batch', resource: 'job-definition', resourceName: '*' }),
        ),
        reason:
          'The BatchSubmitJob integration grants SubmitJob on job definitions by revision; submission also requires the one job queue, which is named exactly.',
      },
    );
    acknowledgePlatformKeyLogGroup(this.logGroup);
  }

  /** What the `.sync` SageMaker integration needs; the custom state adds no permissions itself. */
  private grantSageMakerTraining(sageMakerRole: iam.IRole, key: kms.IKey): void {
    const stack = Stack.of(this);
    const machine = this.stateMachine;
    const jobs = trainingJobsArn(this);
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
    const batchJobs = stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
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
          stack.formatArn({
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
        resources: [sageMakerRole.roleArn],
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
