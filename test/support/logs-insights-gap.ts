/**
 * The one place the Logs Insights gap of moto_server is worked around. moto 5.2's StartQuery /
 * GetQueryResults run a query's `fields`, `sort` and `limit` only (moto/logs/logs_query/
 * query_parser.py skips every other command), so the drift step's `filter ... | stats sum(...)`
 * comes back as bare `@ptr` rows. This middleware leaves both calls to moto (the request shapes,
 * the query id, the status) and replaces a completed query's `results` with the query evaluated
 * over the events moto stored for the query's log group and time range (FilterLogEvents), for the
 * two commands the drift query uses: `filter <field> = "<text>"` and `stats sum(<field>) as <name>,
 * ...`, over JSON messages flattened with dots as Logs Insights discovers them. Nothing else of
 * the query language is emulated: any other query is left as moto answered it.
 */
import {
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type GetQueryResultsCommandOutput,
  type StartQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';

const DRIFT_QUERY = /^filter (\S+) = "([^"]*)" \| stats (.+)$/;

function flatten(value: unknown, prefix: string, out: Record<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
}

async function evaluate(
  client: CloudWatchLogsClient,
  input: StartQueryCommandInput,
): Promise<GetQueryResultsCommandOutput['results'] | undefined> {
  const match = DRIFT_QUERY.exec(input.queryString ?? '');
  if (!match) return undefined;
  const [, filterField, filterValue, stats] = match;
  const sums = stats.split(', ').map((s) => {
    const m = /^sum\((\S+)\) as (\S+)$/.exec(s);
    if (!m) throw new Error(`logs-insights-gap: cannot evaluate ${s}`);
    return { field: m[1], as: m[2] };
  });
  const totals = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({
        logGroupName: input.logGroupName,
        startTime: input.startTime! * 1000,
        endTime: input.endTime! * 1000,
        nextToken: token,
      }),
    );
    for (const event of page.events ?? []) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.message ?? '');
      } catch {
        continue;
      }
      const fields: Record<string, unknown> = {};
      flatten(parsed, '', fields);
      if (String(fields[filterField]) !== filterValue) continue;
      for (const { field, as } of sums) {
        const v = fields[field];
        if (typeof v === 'number') totals.set(as, (totals.get(as) ?? 0) + v);
      }
    }
    token = page.nextToken;
  } while (token);
  // One result row; a sum over no values is left out, as Logs Insights leaves the field empty.
  return [
    sums.filter((s) => totals.has(s.as)).map((s) => ({ field: s.as, value: String(totals.get(s.as)) })),
  ];
}

/** Installs the gap's middleware on a client pointed at moto_server. */
export function emulateInsightsStats(client: CloudWatchLogsClient): void {
  const started = new Map<string, StartQueryCommandInput>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const output = out.output as { queryId?: string; status?: string; results?: unknown };
      if (context.commandName === 'StartQueryCommand' && output.queryId)
        started.set(output.queryId, args.input as StartQueryCommandInput);
      if (context.commandName === 'GetQueryResultsCommand' && output.status === 'Complete') {
        const input = started.get((args.input as { queryId: string }).queryId);
        const results = input ? await evaluate(client, input) : undefined;
        if (results) output.results = results;
      }
      return out;
    },
    { step: 'initialize', name: 'logsInsightsGap' },
  );
}
