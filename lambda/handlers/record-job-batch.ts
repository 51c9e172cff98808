/** The record step of a deployment that trains on AWS Batch (see record-job.ts). */
import { batchClient } from '../adapters/clients';
import { batchJobDescriber } from '../adapters/job-records';
import { recordJobHandler } from './record-job';

export const handler = recordJobHandler(() => batchJobDescriber(batchClient()));
