import type { S3Client } from '@aws-sdk/client-s3';
import type { ServiceConfig } from '../../lambda/core/env/vars';
import type { StepDeps } from '../../lambda/adapters/step-handler';

/** A handler's injected dependencies for one configuration: the shared S3 client, its own logger and metrics. */
export type HandlerDeps = <C extends ServiceConfig>(config: C) => StepDeps<C>;

/**
 * Each handler is built with its dependencies injected, its configuration read from the same
 * variables the stack writes (written and read through one module, as in Lambda).
 */
export async function handlerDeps(s3: S3Client): Promise<HandlerDeps> {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  return (config) => ({
    s3,
    config,
    logger: new Logger({ serviceName: config.serviceName }),
    metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
  });
}
