import type { FactoryConfig } from '../../../lib/config';
import {
  PREPROCESS_BUCKETS,
  preprocessEnvironment,
  readPreprocessConfig,
} from '../../../lambda/core/env/preprocess';
import { DEFAULT_METRICS_NAMESPACE } from '../../../lambda/core/env/vars';
import { s3OutputPort } from '../../../lambda/adapters/output-replacement';
import { layoutKey } from '../../../lambda/core/input-key';
import { objectCreatedEvent } from '../../../lambda/core/s3-event';
import type { PreprocessSummary } from '../../../lambda/handlers/preprocess';
import type { HandlerDeps } from '../handler-deps';
import { lambdaContext } from '../lambda-context';
import type { FileOutcome, LocalBuckets } from '../pipeline-summary';
import type { RunClock } from '../run-clock';
import { REGION } from './moto-session';
import type { RawObject } from './upload-raw';

/** The real preprocess handler, one EventBridge "Object Created" event per raw object, in order. */
export async function preprocessObjects(
  clock: RunClock,
  deps: HandlerDeps,
  options: {
    readonly config: FactoryConfig;
    readonly buckets: LocalBuckets;
    readonly rawKeys: readonly RawObject[];
    readonly signal?: AbortSignal;
  },
): Promise<FileOutcome[]> {
  const { config, buckets, rawKeys, signal } = options;
  const { createPreprocessHandler } = await import('../../../lambda/handlers/preprocess');
  const preprocessDeps = deps(
    readPreprocessConfig({
      [PREPROCESS_BUCKETS.curated]: buckets.curated,
      ...preprocessEnvironment({
        schema: config.dataset,
        maxObjectBytes: config.preprocess.maxObjectBytes,
        maxColumns: config.preprocess.maxColumns,
        maxCategories: config.preprocess.maxCategories,
        delimiter: config.preprocess.delimiter,
        metricsNamespace: DEFAULT_METRICS_NAMESPACE,
        athenaCopy: config.query.enabled,
      }),
    }),
  );
  const preprocessHandler = createPreprocessHandler(preprocessDeps);
  // What curated holds for an input key, listed as the handler lists it to replace outputs.
  const curatedOutputs = s3OutputPort(preprocessDeps.s3, buckets.curated);
  return clock.step('preprocess', async () => {
    const out: FileOutcome[] = [];
    for (const [i, object] of rawKeys.entries()) {
      signal?.throwIfAborted();
      const event = objectCreatedEvent({
        bucket: buckets.raw,
        key: object.key,
        size: object.bytes,
        versionId: object.versionId,
        etag: object.etag,
        region: REGION,
      });
      const result: PreprocessSummary = await preprocessHandler(
        event,
        lambdaContext({
          functionName: 'preprocess-local',
          requestId: `preprocess-${i + 1}`,
          region: REGION,
        }),
      );
      const r = result.results[0];
      if (!r) throw new Error(`preprocess returned no outcome for ${object.key}`);
      const o: FileOutcome = {
        key: r.key,
        versionId: r.versionId,
        status: r.status,
        reason: r.reason,
        rowsIn: r.rowsIn ?? 0,
        rowsClean: r.rowsClean ?? 0,
        duplicates: r.duplicates ?? 0,
        quarantined: r.quarantined ?? 0,
        outputs: r.outputs,
        curatedKeys: (await curatedOutputs.listOutputs(layoutKey(object.key))).sort(),
      };
      out.push(o);
      clock.say(
        `preprocess ${i + 1}/${rawKeys.length}: ${r.key} ${r.status}` +
          (r.status === 'processed'
            ? `: ${o.rowsIn} in, ${o.rowsClean} clean, ${o.duplicates} duplicates, ${o.quarantined} quarantined`
            : ` (${r.reason ?? 'no reason'})`),
      );
    }
    return out;
  });
}
