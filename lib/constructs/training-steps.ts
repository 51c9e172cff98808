import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MODELS_BUCKET_VARIABLE } from '../../lambda/core/env/models-steps';
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
}

/**
 * The Lambda steps of the training state machine: plan (T = n/p), evaluate a candidate, promote
 * it, and keep each finished job as a calibration record.
 */
export class TrainingSteps extends Construct {
  public readonly plan: NodeFunction;
  public readonly evaluate: NodeFunction;
  public readonly promote: NodeFunction;
  public readonly recordJob: NodeFunction;

  constructor(scope: Construct, id: string, props: TrainingStepsProps) {
    super(scope, id);
    const step = (
      name: string,
      handler: string,
      description: string,
      environment: Record<string, string>,
      entry?: string,
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
        concurrency: {
          unreservedBecause:
            'Invoked only by the training state machine, once per step of a run (runs start on the schedule or on demand); a reservation would take account concurrency these steps never use.',
        },
        environment: { METRICS_NAMESPACE: props.metricsNamespace, ...environment },
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
    this.promote = step(
      'Promote',
      'promote',
      'Publishes a better model and moves the current pointer',
      {},
    ).bindBucket(MODELS_BUCKET_VARIABLE, props.models, {
      read: true,
      write: true,
      prefixes: [MODELS_PREFIX, TRAINING_PREFIX],
    });

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
