import type { S3Client } from '@aws-sdk/client-s3';
import type { FactoryConfig } from '../../../lib/config';
import { PREDICT_BUCKETS, predictEnvironment, readPredictConfig } from '../../../lambda/core/env/predict';
import { DEFAULT_METRICS_NAMESPACE } from '../../../lambda/core/env/vars';
import type { HandlerDeps } from '../handler-deps';
import { serveProxyHandler, type LocalApi, type ProxyHandler } from '../predict-server';
import type { RunClock } from '../run-clock';

/** The predict handler, built as in Lambda, behind a local HTTP port (POST /predict, GET /model). */
export async function servePredict(
  clock: RunClock,
  s3: S3Client,
  deps: HandlerDeps,
  options: { readonly config: FactoryConfig; readonly modelsBucket: string; readonly port?: number },
): Promise<LocalApi> {
  const { createPredictHandler } = await import('../../../lambda/handlers/predict');
  const { ModelCache } = await import('../../../lambda/adapters/model-cache');
  const predictConfig = readPredictConfig({
    [PREDICT_BUCKETS.models]: options.modelsBucket,
    ...predictEnvironment({ ...options.config.serving, metricsNamespace: DEFAULT_METRICS_NAMESPACE }),
  });
  const predictDeps = deps(predictConfig);
  const predictHandler: ProxyHandler = createPredictHandler({
    ...predictDeps,
    models: new ModelCache({
      s3,
      bucket: predictConfig.modelsBucket,
      maxAgeSeconds: predictConfig.modelCacheSeconds,
      logger: predictDeps.logger,
    }),
  });
  const api = await clock.step('serve', () => serveProxyHandler(predictHandler, { port: options.port ?? 0 }));
  clock.say(`predict API on ${api.url} (POST /predict, GET /model)`);
  return api;
}
