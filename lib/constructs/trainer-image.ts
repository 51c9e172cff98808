import * as path from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './node-function';

/**
 * The trainer image (`lambda/trainer/Dockerfile`), which SageMaker training jobs and AWS Batch
 * jobs both run: built and published at deploy time, nothing is built at synth.
 */
export class TrainerImage extends ecrAssets.DockerImageAsset {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      directory: PROJECT_ROOT,
      file: path.join('lambda', 'trainer', 'Dockerfile'),
      platform: ecrAssets.Platform.LINUX_AMD64,
      // .dockerignore at the root admits only package files and lambda/ (also for the hash).
      ignoreMode: IgnoreMode.DOCKER,
    });
  }
}
