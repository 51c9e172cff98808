/** The record step of a deployment that trains on SageMaker (see record-job.ts). */
import { sageMakerClient } from '../adapters/clients';
import { sageMakerJobDescriber } from '../adapters/job-records';
import { recordJobHandler } from './record-job';

export const handler = recordJobHandler(() => sageMakerJobDescriber(sageMakerClient()));
