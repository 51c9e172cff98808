/**
 * One CloudWatch Logs Insights query, run to the end: StartQuery, then GetQueryResults until the
 * status is final. StartQuery takes the time range in epoch seconds; a query runs for at most 60
 * minutes; an account runs up to 30 queries at once ("StartQuery", CloudWatch Logs API reference,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html).
 * GetQueryResults returns each result row as a list of { field, value } strings and the bytes the
 * query scanned, which is what Logs Insights bills.
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  type QueryStatistics,
} from '@aws-sdk/client-cloudwatch-logs';

let logs: CloudWatchLogsClient | undefined;
/** Created once per process; `AWS_ENDPOINT_URL` points it at moto_server locally. */
export const logsClient = (): CloudWatchLogsClient => (logs ??= new CloudWatchLogsClient({}));

export interface InsightsQuery {
  readonly logGroupName: string;
  readonly start: Date;
  readonly end: Date;
  readonly queryString: string;
}

export interface InsightsResult {
  readonly queryId: string;
  /** Each result row as field → value. */
  readonly rows: Record<string, string>[];
  readonly statistics?: QueryStatistics;
}

/** The query did not complete (Failed, Cancelled, Timeout, Unknown), or took longer than allowed. */
export class InsightsQueryError extends Error {
  constructor(
    readonly queryId: string,
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'InsightsQueryError';
  }
}

const FINAL = new Set(['Complete', 'Failed', 'Cancelled', 'Timeout', 'Unknown']);

export async function runInsightsQuery(
  client: CloudWatchLogsClient,
  query: InsightsQuery,
  options: { readonly pollMs?: number; readonly deadline?: () => boolean } = {},
): Promise<InsightsResult> {
  const started = await client.send(
    new StartQueryCommand({
      logGroupName: query.logGroupName,
      startTime: Math.floor(query.start.getTime() / 1000),
      endTime: Math.ceil(query.end.getTime() / 1000),
      queryString: query.queryString,
    }),
  );
  const queryId = started.queryId!;
  const pollMs = options.pollMs ?? 1000;
  for (;;) {
    const res = await client.send(new GetQueryResultsCommand({ queryId }));
    const status = res.status ?? 'Unknown';
    if (FINAL.has(status)) {
      if (status !== 'Complete')
        throw new InsightsQueryError(queryId, status, `Logs Insights query ${queryId} ended ${status}`);
      const rows = (res.results ?? []).map((fields) => {
        const row: Record<string, string> = {};
        for (const f of fields) if (f.field !== undefined && f.value !== undefined) row[f.field] = f.value;
        return row;
      });
      return { queryId, rows, statistics: res.statistics };
    }
    if (options.deadline?.())
      throw new InsightsQueryError(
        queryId,
        status,
        `Logs Insights query ${queryId} still ${status} at the deadline`,
      );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
