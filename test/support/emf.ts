/**
 * Reading what Powertools Metrics really emits. In Lambda it writes one EMF document per
 * publishStoredMetrics() as a JSON line to stdout (through its own Console on process.stdout);
 * CloudWatch turns the `_aws` block into metrics. Tests capture those lines instead of spying on
 * addMetric, so names, units, namespace and dimensions are checked as CloudWatch would read them.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';

export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  /** Dimension values and metric values sit at the top level, by name. */
  readonly [key: string]: unknown;
}

export interface EmfCapture {
  /** The EMF documents written so far (other stdout lines are ignored). */
  documents(): EmfDocument[];
  /** Puts process.stdout.write back. */
  restore(): void;
}

/** Captures stdout until restore(); call it before the code under test publishes. */
export function captureEmf(): EmfCapture {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  return {
    documents: () =>
      lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((doc): doc is EmfDocument => typeof doc._aws === 'object' && doc._aws !== null),
    restore: () => spy.mockRestore(),
  };
}

/**
 * A Metrics instance that publishes (POWERTOOLS_METRICS_DISABLED and POWERTOOLS_DEV are read when
 * it is constructed, so they are pinned here whatever the environment says).
 */
export function enabledMetrics(options: { namespace: string; serviceName: string }): Metrics {
  return withMetricsEnv('false', () => new Metrics(options));
}

/** A Metrics instance that publishes nothing: for tests about other behaviour. */
export function silentMetrics(serviceName = 'test'): Metrics {
  return withMetricsEnv('true', () => new Metrics({ namespace: 'Test', serviceName }));
}

function withMetricsEnv<T>(disabled: 'true' | 'false', make: () => T): T {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = disabled;
  try {
    return make();
  } finally {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
}

/** `{ Name: Unit }` of every metric in a document, for exact comparison. */
export function unitsOf(doc: EmfDocument): Record<string, string> {
  return Object.fromEntries(doc._aws.CloudWatchMetrics[0].Metrics.map((m) => [m.Name, m.Unit]));
}
