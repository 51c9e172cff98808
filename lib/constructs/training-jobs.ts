import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Every SageMaker training job the state machine starts is named `train-<run id>`. */
export const TRAINING_JOB_NAME_PREFIX = 'train-';

/** The ARN of every training job of the platform: what the state machine and record-job may touch. */
export function trainingJobsArn(scope: IConstruct): string {
  return Stack.of(scope).formatArn({
    service: 'sagemaker',
    resource: 'training-job',
    resourceName: `${TRAINING_JOB_NAME_PREFIX}*`,
  });
}
