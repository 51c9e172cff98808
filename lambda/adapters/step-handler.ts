/**
 * The training state machine's Lambda steps (plan, evaluate, promote): `lambdaEntry` with the S3
 * client every step uses. Metrics are published by the step itself, after it has succeeded.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ServiceConfig } from '../core/env/vars';
import type { Env } from '../core/env/vars';
import { s3Client } from './clients';
import { lambdaEntry, type EntryDeps, type Handler } from './lambda-entry';

/** What a step runs with: its clients and configuration, injected so tests pass their own. */
export interface StepDeps<C extends ServiceConfig> extends EntryDeps<C> {
  readonly s3: S3Client;
}

/**
 * The `handler` export of a step: `step` names the misconfiguration log line, `readConfig` reads
 * the environment (throwing a ConfigError naming the variable), `run` is the step with its deps.
 */
export function stepHandler<C extends ServiceConfig, E, O>(
  step: string,
  readConfig: (env: Env) => C,
  run: (event: E, deps: StepDeps<C>) => Promise<O>,
): Handler<E, O> {
  return lambdaEntry<C, E, O>({
    name: step,
    readConfig,
    create: (deps) => {
      const stepDeps: StepDeps<C> = { ...deps, s3: s3Client() };
      return (event) => run(event, stepDeps);
    },
  });
}
