import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MODELS_BUCKET_VARIABLE } from '../../lambda/core/env/models-steps';
import { REGISTRY_VARIABLES, registryEnvironment } from '../../lambda/core/env/registry';
import { PLAN_BUCKETS, planEnvironment, type PlanSettings } from '../../lambda/core/env/plan';
import {
  CAPACITY_PREFIX,
  JOB_RECORDS_PREFIX,
  MODELS_PREFIX,
  TRAINING_PREFIX,
} from '../../lambda/core/models-layout';
import { CURATED } from '../../lambda/core/object-keys';
import { wildcardResourceFinding } from '../acknowledgements';
import type { TrainingEngine } from '../network-plan';
import { NodeFunction, type FunctionNetwork } from './node-function';
import { trainingJobsArn } from './training-jobs';

export interface TrainingStepsProps {
  /** In the VPC or outside it: lib/network-plan.ts `functionNetwork`. */
  readonly network: FunctionNetwork;
  /** The engine runs train on: the record step bundles and may call only that engine's API. */
  readonly engine: TrainingEngine;
  /** Encrypts the functions' log groups (its policy must admit CloudWatch Logs). */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly stage: 'dev' | 'prod';
  /** The CloudWatch namespace the steps' metrics go to. */
  readonly metricsNamespace: string;
  /** Holds the statistics partials under `stats/`. */
  readonly curated: s3.IBucket;
  /** Holds models, the current pointer, candidates and the calibration records. */
  readonly models: s3.IBucket;
  /** What the plan step sizes a run with (its environment). */
  readonly plan: PlanSettings;
  /** The deployment's Model Registry group, which promote registers every candidate in. */
  readonly registry: {
    readonly groupName: string;
    /** Better candidates wait for a person's approval (`models.manualApproval`). */
    readonly manualApproval: boolean;
  };
}

/**
 * The Lambda steps of the training state machine: plan (T = n/p), evaluate a candidate, promote
 * it, and keep each finished job as a calibration record.
 */
export class TrainingSteps extends Construct {
  public readonly plan: NodeFunction;
  public readonly evaluate: NodeFunction;
  public readonly promote: NodeFunction;
  /** Moves the pointer to a package approved in the Model Registry (the approval rule's target). */
  public readonly approval: NodeFunction;
  public readonly recordJob: NodeFunction;

  constructor(scope: Construct, id: string, props: TrainingStepsProps) {
    super(scope, id);
    const step = (
      name: string,
      handler: string,
      description: string,
      environment: Record<string, string>,
      entry?: string,
      invocation: { readonly unreservedBecause: string; readonly noDlqBecause: string } = {
        unreservedBecause:
          'Invoked only by the training state machine, once per step of a run (runs start on the schedule or on demand); a reservation would take account concurrency these steps never use.',
        noDlqBecause:
          'Invoked synchronously by the state machine, which retries and catches failures itself.',
      },
    ) => {
      const fn = new NodeFunction(this, name, {
        handler,
        entry,
        description,
        timeout: Duration.minutes(1),
        network: props.network,
        logKey: props.logKey,
        logRetention: props.logRetention,
        stage: props.stage,
        concurrency: { unreservedBecause: invocation.unreservedBecause },
        environment: { METRICS_NAMESPACE: props.metricsNamespace, ...environment },
      });
      Validations.of(fn).acknowledge(
        { id: 'NIST.800.53.R5-LambdaDLQ', reason: invocation.noDlqBecause },
        { id: 'Serverless-LambdaDLQ', reason: invocation.noDlqBecause },
      );
      return fn;
    };
    const { plan } = props;
    this.plan = step(
      'Plan',
      'plan',
      'Sizes a training run with T = n/p from the statistics partials',
      planEnvironment(plan),
    )
      .bindBucket(PLAN_BUCKETS.curated, props.curated, { read: true, prefixes: [CURATED.stats] })
      .bindBucket(PLAN_BUCKETS.models, props.models, { read: true, prefixes: [CAPACITY_PREFIX] });
    this.evaluate = step(
      'Evaluate',
      'evaluate',
      'Compares a candidate model with the served one',
      {},
    ).bindBucket(MODELS_BUCKET_VARIABLE, props.models, {
      read: true,
      prefixes: [MODELS_PREFIX, TRAINING_PREFIX],
    });
    const { registry } = props;
    this.promote = step(
      'Promote',
      'promote',
      'Registers every candidate in the Model Registry; publishes a better model and moves the current pointer',
      registryEnvironment({ modelPackageGroup: registry.groupName, manualApproval: registry.manualApproval }),
    ).bindBucket(MODELS_BUCKET_VARIABLE, props.models, {
      read: true,
      write: true,
      prefixes: [MODELS_PREFIX, TRAINING_PREFIX],
    });
    this.approval = step(
      'Approval',
      'approval',
      'Serves a model version once its package is approved in the Model Registry',
      { [REGISTRY_VARIABLES.group]: registry.groupName },
      undefined,
      {
        unreservedBecause:
          'Invoked by the Model Registry approval rule, once per approval-status change of a package in the group (a person approving, or factory models rollback); a reservation would take account concurrency it never uses.',
        noDlqBecause:
          'The event carries only the package ARN, and the package in the registry stays Approved: a failed invocation (logged, in the function Errors metric) is retried by approving again or by factory models rollback, which needs no queued copy of the event.',
      },
    ).bindBucket(MODELS_BUCKET_VARIABLE, props.models, {
      read: true,
      write: true,
      prefixes: [MODELS_PREFIX],
    });
    // Versioned packages are `model-package/<group>/<n>`, n numbered by SageMaker per group
    // ("Model Registry Models, Model Versions, and Model Groups", SageMaker developer guide); the
    // group name is lowercase (modelPackageGroupName), as SageMaker writes it in the ARN.
    const stack = Stack.of(this);
    const packages = stack.formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${registry.groupName}/*`,
    });
    const group = stack.formatArn({
      service: 'sagemaker',
      resource: 'model-package-group',
      resourceName: registry.groupName,
    });
    this.promote.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RegisterModelPackages',
        // Describe: the package of the replaced version is read before it is set Rejected
        // (rejectReplaced resends its metadata).
        actions: [
          'sagemaker:CreateModelPackage',
          'sagemaker:UpdateModelPackage',
          'sagemaker:DescribeModelPackage',
        ],
        // A new version's ARN is not known before CreateModelPackage: the unversioned
        // model-package/<group> form is granted too, in case that is the ARN IAM checks.
        resources: [
          group,
          stack.formatArn({
            service: 'sagemaker',
            resource: 'model-package',
            resourceName: registry.groupName,
          }),
          packages,
        ],
      }),
    );
    this.approval.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadModelPackages',
        // Update: the replaced version's package is set Rejected once the approved one is served.
        actions: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'],
        resources: [packages],
      }),
    );
    for (const fn of [this.promote, this.approval]) {
      Validations.of(fn.role!).acknowledge({
        id: wildcardResourceFinding(this, packages),
        reason:
          "Model package versions are numbered by SageMaker as they are registered (model-package/<group>/<n>); the grant is limited to the deployment's own group.",
      });
    }

    this.recordJob = step(
      'RecordJob',
      'record-job',
      'Keeps each finished training job as a calibration record for the planner',
      {},
      `record-job-${props.engine}`,
    ).bindBucket(MODELS_BUCKET_VARIABLE, props.models, { write: true, prefixes: [JOB_RECORDS_PREFIX] });
    if (props.engine === 'sagemaker') {
      this.recordJob.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DescribeTrainingJobs',
          actions: ['sagemaker:DescribeTrainingJob', 'sagemaker:ListTags'],
          resources: [trainingJobsArn(this)],
        }),
      );
      // The role is a sibling of the function (NodeFunction creates it first), so the finding is on it.
      Validations.of(this.recordJob.role!).acknowledge({
        id: wildcardResourceFinding(this, trainingJobsArn(this)),
        reason:
          'Training job names are generated per run (train-<run uuid>); the grant is limited to that name prefix.',
      });
    } else {
      this.recordJob.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DescribeBatchJobs',
          // DescribeJobs has no resource-level permissions (Service Authorization Reference, AWS Batch).
          actions: ['batch:DescribeJobs'],
          resources: ['*'],
        }),
      );
      Validations.of(this.recordJob.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'batch:DescribeJobs has no resource-level permissions (Service Authorization Reference, "Actions defined by AWS Batch"); it only reads job details.',
      });
    }
  }
}
