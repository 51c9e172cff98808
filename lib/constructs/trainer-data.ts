import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CURATED } from '../../lambda/core/object-keys';
import { TRAINING_PREFIX } from '../../lambda/core/models-layout';
import { grantObjectWrites } from './object-grants';

/** The buckets a trainer reads its rows from and writes its candidates and partials to. */
export interface TrainerBuckets {
  /** Holds the training rows under `train/` and `clean/`. */
  readonly curated: s3.IBucket;
  /** Receives candidates and partials under {@link TRAINING_PREFIX}. */
  readonly models: s3.IBucket;
}

/**
 * Read the training rows (train/ and clean/), read and write candidates and partials: reads,
 * and object writes without Object Lock actions (grantObjectWrites says why); the trainer
 * deletes nothing. The SageMaker role and the Batch job role get exactly this.
 */
export function grantTrainerData(role: iam.IRole, buckets: TrainerBuckets): void {
  buckets.curated.grantRead(role, `${CURATED.train}*`);
  buckets.curated.grantRead(role, `${CURATED.clean}*`);
  buckets.models.grantRead(role, `${TRAINING_PREFIX}*`);
  grantObjectWrites(buckets.models, role, `${TRAINING_PREFIX}*`);
}
