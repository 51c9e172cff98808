/**
 * The one wiring of every Lambda entry point (preprocess, plan, evaluate, promote, record-job,
 * predict): the environment is read on the first invocation, not at import, so a module can be
 * imported (tests, the local pipeline) without its variables set; the configuration, logger,
 * metrics and whatever `create` builds (SDK clients, caches) live for the execution environment.
 *
 * A bad environment is logged under the handler's own name (the configured service name is
 * unknown then) and rethrown, or answered by `misconfigured` where the caller is a person (the
 * API), and the next invocation reads the environment again instead of running half-configured.
 * Each invocation's Lambda context goes on the logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Env, ServiceConfig } from '../core/env/vars';

/** What every handler is built from: its configuration and its Powertools logger and metrics. */
export interface EntryDeps<C extends ServiceConfig> {
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type Handler<E, R> = (event: E, context?: Context) => Promise<R>;

export interface EntryOptions<C extends ServiceConfig, E, R> {
  /** The handler's name: the service of the misconfiguration log line. */
  readonly name: string;
  /** Reads and checks the environment; throws a ConfigError naming the variable. */
  readonly readConfig: (env: Env) => C;
  /** Builds the handler once per execution environment. */
  readonly create: (deps: EntryDeps<C>) => Handler<E, R>;
  /** The answer to an invocation while the environment is bad. @default the error is rethrown */
  readonly misconfigured?: (error: unknown, event: E) => R;
  /** @default process.env */
  readonly env?: Env;
}

export function lambdaEntry<C extends ServiceConfig, E, R>(options: EntryOptions<C, E, R>): Handler<E, R> {
  let built: { handler: Handler<E, R>; logger: Logger } | undefined;
  return async (event: E, context?: Context): Promise<R> => {
    if (!built) {
      let config: C;
      try {
        config = options.readConfig(options.env ?? process.env);
      } catch (error) {
        // The error object itself: Powertools logs its name, message, code and variable.
        new Logger({ serviceName: options.name }).error(
          `${options.name} handler misconfigured`,
          error as Error,
        );
        if (options.misconfigured) return options.misconfigured(error, event);
        throw error;
      }
      const logger = new Logger({ serviceName: config.serviceName });
      const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
      built = { handler: options.create({ config, logger, metrics }), logger };
    }
    if (context) built.logger.addContext(context);
    return built.handler(event, context);
  };
}
