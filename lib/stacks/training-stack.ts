import { CfnOutput, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { functionNetwork } from '../network-plan';
import { ec2TypeOf } from '../../lambda/core/instance-facts';
import { sizeTrainingCapacity, type TrainingCapacity } from '../../lambda/core/planner';
import {
  configuredTrainerSettings,
  toHyperparameters,
  toTrainerEnvironment,
} from '../../lambda/core/trainer-contract';
import { manualApprovalOf, metricsNamespace, type FactoryConfig } from '../config';
import { APPROVAL, MODEL_PACKAGE_EVENT, modelPackageGroupName } from '../../lambda/core/model-registry';
import { BatchCluster } from '../constructs/batch-cluster';
import { NodeFunction } from '../constructs/node-function';
import { SageMakerTrainingRole } from '../constructs/sagemaker-training-role';
import { TrainerImage } from '../constructs/trainer-image';
import { TrainingSecurityGroup } from '../constructs/training-security-group';
import { TrainingStateMachine } from '../constructs/training-state-machine';
import { TrainingSteps } from '../constructs/training-steps';

export interface TrainingStackProps extends StackProps {
  readonly config: FactoryConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly curated: s3.IBucket;
  readonly models: s3.IBucket;
}

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
  public readonly approvalFunction: NodeFunction;
  /** The deployment's Model Registry group: every run registers its candidate here. */
  public readonly modelPackageGroup: sagemaker.CfnModelPackageGroup;
  public readonly image: ecrAssets.DockerImageAsset;
  /** The synth-time plans for the configured workload. */
  public readonly sageMakerCapacity: TrainingCapacity;
  public readonly batchCapacity: TrainingCapacity;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { config, vpc, key, curated, models } = props;
    const { training } = config;
    const logRetention = config.retention.logDays as logs.RetentionDays;
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
    // The run-independent trainer settings, written once through the trainer contract: as
    // hyperparameters on SageMaker and as the same names in TRAINER_* variables on Batch.
    const trainerSettings = toHyperparameters({
      ...configuredTrainerSettings(training),
      schema: config.dataset,
      inputKind: 'curated',
    });

    this.image = new TrainerImage(this, 'TrainerImage');
    const securityGroup = new TrainingSecurityGroup(this, 'TrainingSg', { vpc });
    this.sageMakerRole = new SageMakerTrainingRole(this, 'SageMakerRole', {
      image: this.image,
      curated,
      models,
    });

    const cluster = new BatchCluster(this, 'Batch', {
      vpc,
      securityGroup,
      instanceTypes: training.batchInstanceTypes,
      capacity: this.batchCapacity,
      spotFirst: training.spot,
      image: this.image,
      trainerEnvironment: toTrainerEnvironment(trainerSettings),
      maxRuntimeSeconds: training.maxRuntimeSeconds,
      curated,
      models,
      logKey: key,
      logRetention,
      stage: config.stage,
      namePrefix: config.prefix,
    });
    this.computeEnvironments = cluster.computeEnvironments;
    this.jobQueue = cluster.jobQueue;
    this.jobDefinition = cluster.jobDefinition;

    const groupName = modelPackageGroupName(config.prefix, config.stage);
    this.modelPackageGroup = new sagemaker.CfnModelPackageGroup(this, 'ModelRegistry', {
      modelPackageGroupName: groupName,
      modelPackageGroupDescription: `Every training run's candidate (${config.prefix} ${config.stage}): Approved when served, Rejected when the current model stayed`,
    });
    // The registry is the history people audit: prod keeps it when the stack goes.
    this.modelPackageGroup.applyRemovalPolicy(
      config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    );
    const manualApproval = manualApprovalOf(config);

    const onSageMaker = training.engine === 'sagemaker';
    const steps = new TrainingSteps(this, 'Steps', {
      network: functionNetwork(config, vpc),
      engine: training.engine,
      logKey: key,
      logRetention,
      stage: config.stage,
      metricsNamespace: metricsNamespace(config),
      curated,
      models,
      plan: {
        engine: training.engine,
        instanceType: onSageMaker ? training.instanceType : batchType,
        maxInstances: onSageMaker ? this.sageMakerCapacity.p : this.batchCapacity.p,
        deadlineSeconds: training.deadlineSeconds,
        startupSeconds: training.startupSeconds,
        secondsPerUnit: training.secondsPerUnit,
        serialSeconds: training.serialSeconds,
        fillMode: training.fill,
        task: training.task,
        metricsNamespace: metricsNamespace(config),
      },
      registry: { groupName, manualApproval },
    });
    this.planFunction = steps.plan;
    this.evaluateFunction = steps.evaluate;
    this.promoteFunction = steps.promote;
    this.recordJobFunction = steps.recordJob;
    this.approvalFunction = steps.approval;

    // An approval in the console (or by `factory models rollback`) serves that version.
    const approvals = new events.Rule(this, 'ModelApproved', {
      description: `Serves a model once its package in ${groupName} is approved`,
      eventPattern: {
        source: [MODEL_PACKAGE_EVENT.source],
        detailType: [MODEL_PACKAGE_EVENT.detailType],
        detail: { ModelPackageGroupName: [groupName], ModelApprovalStatus: [APPROVAL.approved] },
      },
      targets: [new targets.LambdaFunction(steps.approval, { retryAttempts: 2 })],
    });
    Validations.of(approvals).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'The event names only a package that stays Approved in the registry: a delivery that fails after two retries shows in the rule FailedInvocations metric and is redone by approving again, so there is nothing to keep in a queue.',
    });

    this.stateMachine = new TrainingStateMachine(this, 'Pipeline', {
      engine: training.engine,
      spot: training.spot,
      instanceType: training.instanceType,
      maxRuntimeSeconds: training.maxRuntimeSeconds,
      hyperParameters: trainerSettings,
      image: this.image,
      sageMakerRole: this.sageMakerRole,
      vpc,
      securityGroup,
      key,
      curated,
      models,
      jobQueue: this.jobQueue,
      jobDefinition: this.jobDefinition,
      steps,
      logRetention,
      stage: config.stage,
    }).stateMachine;

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

    const plan = onSageMaker ? this.sageMakerCapacity : this.batchCapacity;
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
      value: String(this.batchCapacity.maxvCpus),
      description: `p=${this.batchCapacity.p} × ${this.batchCapacity.instanceFacts.vcpus} vCPUs (${ec2TypeOf(batchType)})`,
    });
    new CfnOutput(this, 'SageMakerMaxInstances', { value: String(this.sageMakerCapacity.p) });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
  }
}
