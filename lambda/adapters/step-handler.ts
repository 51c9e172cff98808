/**
 * The Lambda entry point of the training state machine's steps (plan, evaluate, promote).
 *
 * Configuration and clients are made once per execution environment, on the first invocation. A
 * bad environment is logged under the step's own name (the configured service name is unknown
 * then) and rethrown, so the state machine sees the ConfigError, and the next invocation reads the
 * environment again instead of running half-configured. Each invocation's Lambda context goes on
 * the logger. Metrics are published by the step itself, after it has succeeded.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { s3Client } from './clients';
import type { ServiceConfig } from '../core/env/vars';

/** What a step runs with: its clients and configuration, injected so tests pass their own. */
export interface StepDeps<C extends ServiceConfig> {
  readonly s3: S3Client;
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The `handler` export of a step: `step` names the misconfiguration log line, `readConfig` reads
 * process.env (throwing a ConfigError naming the variable), `run` is the step with its deps.
 */
export function stepHandler<C extends ServiceConfig, E, O>(
  step: string,
  readConfig: () => C,
  run: (event: E, deps: StepDeps<C>) => Promise<O>,
): (event: E, context?: Context) => Promise<O> {
  let deps: StepDeps<C> | undefined;
  return async (event: E, context?: Context): Promise<O> => {
    if (!deps) {
      let config: C;
      try {
        config = readConfig();
      } catch (error) {
        new Logger({ serviceName: step }).error(`${step} handler misconfigured`, error as Error);
        throw error;
      }
      deps = {
        s3: s3Client(),
        config,
        logger: new Logger({ serviceName: config.serviceName }),
        metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
      };
    }
    if (context) deps.logger.addContext(context);
    return run(event, deps);
  };
}
