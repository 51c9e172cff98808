/**
 * The scheduled drift step (an EventBridge schedule, every `monitoring.driftWindowHours`): adds up
 * the drift counts the predict function logged for the current model over the last window (one
 * Logs Insights query, lambda/core/drift.ts `driftQuery`), computes PSI and the mean shift in
 * training standard deviations per feature against the model's training histograms, writes the
 * report to `models/drift/<version>/<end>.json`, and publishes one metric per feature (`DriftPsi`,
 * dimension `feature`) and `DriftedFeatures`, which the monitoring stack alarms on.
 *
 * No model yet, or a model trained without histograms: nothing to compare, logged and reported
 * in the result (no report, `DriftedFeatures` not published), never a failure.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { s3Client } from '../adapters/clients';
import { lambdaEntry } from '../adapters/lambda-entry';
import { logsClient, runInsightsQuery } from '../adapters/logs-insights';
import { getArtifact, putJson, readPointer } from '../adapters/model-store';
import { addLogRecord, driftQuery, driftReport, emptyCounts, type DriftReport } from '../core/drift';
import { readDriftConfig, type DriftConfig } from '../core/env/drift';
import { compactTime, parseArtifact } from '../core/model-artifact';
import { driftReportKey } from '../core/models-layout';

export { readDriftConfig, type DriftConfig };

/** How far behind the run the window ends (log events are queryable shortly after ingestion). */
export const INGESTION_LAG_MS = 5 * 60_000;

export interface DriftDeps {
  readonly config: Omit<DriftConfig, 'serviceName' | 'metricsNamespace'>;
  readonly s3: S3Client;
  readonly logs: CloudWatchLogsClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Logs Insights polling interval. @default 1000 */
  readonly pollMs?: number;
  /** Stop polling when this says so (the Lambda's remaining time). */
  readonly deadline?: () => boolean;
}

export type DriftResult =
  | { readonly status: 'no-model' | 'no-histograms'; readonly modelVersion?: string }
  | {
      readonly status: 'reported';
      readonly modelVersion: string;
      readonly reportKey: string;
      readonly rows: number;
      readonly drifted: readonly string[];
      readonly bytesScanned?: number;
    };

export function createDriftHandler(deps: DriftDeps): () => Promise<DriftResult> {
  const { config, s3, logs, logger, metrics } = deps;
  return async () => {
    try {
      const pointer = await readPointer(s3, config.modelsBucket);
      if (!pointer) {
        logger.info('no model promoted yet: no drift to measure');
        return { status: 'no-model' };
      }
      const artifact = parseArtifact(await getArtifact(s3, config.modelsBucket, pointer.key));
      if (!artifact.drift) {
        logger.warn('the current model has no training histograms: retrain it to monitor drift', {
          modelVersion: artifact.version,
        });
        return { status: 'no-histograms', modelVersion: artifact.version };
      }
      // The window ends a few minutes back: events reach Logs Insights shortly after they are
      // written, and windows that end late still abut, so no row is counted twice or lost.
      const end = new Date((deps.now ?? (() => new Date()))().getTime() - INGESTION_LAG_MS);
      const start = new Date(end.getTime() - config.windowHours * 3600_000);
      const result = await runInsightsQuery(
        logs,
        {
          logGroupName: config.logGroupName,
          start,
          end,
          queryString: driftQuery(artifact.drift, artifact.version),
        },
        { pollMs: deps.pollMs, deadline: deps.deadline },
      );
      const counts = emptyCounts(artifact.drift);
      for (const row of result.rows) addLogRecord(counts, row);
      const report: DriftReport = driftReport(
        artifact,
        counts,
        { psi: config.psi, meanShiftSd: config.meanShiftSd },
        { start: start.toISOString(), end: end.toISOString() },
      );
      const reportKey = driftReportKey(artifact.version, compactTime(end));
      await putJson(s3, config.modelsBucket, reportKey, report);
      for (const [feature, f] of Object.entries(report.features)) {
        if (f.psi === null) continue;
        const single = metrics.singleMetric();
        single.addDimension('feature', feature);
        single.addMetric('DriftPsi', MetricUnit.NoUnit, f.psi);
      }
      metrics.addMetric('DriftedFeatures', MetricUnit.Count, report.drifted.length);
      metrics.addMetric('DriftServedRows', MetricUnit.Count, report.rows);
      const bytesScanned = result.statistics?.bytesScanned;
      logger.info('drift measured', {
        modelVersion: artifact.version,
        reportKey,
        rows: report.rows,
        unknownCategory: report.unknownCategory,
        drifted: report.drifted,
        queryId: result.queryId,
        bytesScanned,
      });
      return {
        status: 'reported',
        modelVersion: artifact.version,
        reportKey,
        rows: report.rows,
        drifted: report.drifted,
        ...(bytesScanned !== undefined ? { bytesScanned } : {}),
      };
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** Lambda entry point (`handler` in the bundle). */
export const handler = lambdaEntry({
  name: 'drift',
  readConfig: readDriftConfig,
  create: ({ config, logger, metrics }) => {
    let remaining = () => Infinity;
    const run = createDriftHandler({
      config,
      s3: s3Client(),
      logs: logsClient(),
      logger,
      metrics,
      // Stop polling 15 s before the function's timeout, so the failure is ours, named.
      deadline: () => remaining() < 15_000,
    });
    return async (_event: unknown, context?: { getRemainingTimeInMillis(): number }) => {
      if (context) remaining = () => context.getRemainingTimeInMillis();
      return run();
    };
  },
});
