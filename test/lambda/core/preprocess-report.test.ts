import { preprocessBytes } from '../../../lambda/core/preprocess';
import {
  PREPROCESS_REPORT_FORMAT,
  parseReport,
  qualityReportSchema,
  type PreprocessReport,
} from '../../../lambda/core/preprocess-report';
import { SMALL_HEADER, SMALL_SCHEMA } from '../helpers/small-schema';

async function processedReport(): Promise<PreprocessReport> {
  const csv = SMALL_HEADER + '1,1,A,1,2,3\n1,1,A,1,2,3\n2,2,B,x,2,3\n3,3,,,4,5\n';
  const { elapsedMs: _elapsedMs, ...quality } = (
    await preprocessBytes(new TextEncoder().encode(csv), SMALL_SCHEMA)
  ).report;
  return {
    format: PREPROCESS_REPORT_FORMAT,
    status: 'processed',
    input: { bucket: 'raw', key: 'a.csv', versionId: 'v1', size: csv.length },
    outputs: { bucket: 'curated', clean: 'clean/a/v-v1.csv', report: 'reports/a/v-v1.json' },
    quality,
  };
}

const rejected: PreprocessReport = {
  format: PREPROCESS_REPORT_FORMAT,
  status: 'rejected',
  input: { bucket: 'raw', key: 'a.csv', etag: 'abc' },
  outputs: { bucket: 'curated', report: 'reports/a/e-abc.json', rejection: 'quarantine/a/e-abc.json' },
  rejection: { code: 'file_rejected', reason: 'too_large', message: 'object is too large' },
};

describe('parseReport', () => {
  test('a processed report as written parses back to the same report and bytes', async () => {
    const report = await processedReport();
    const written = JSON.stringify(report, null, 2) + '\n';
    const parsed = parseReport(JSON.parse(written));
    expect(parsed).toEqual(report);
    expect(JSON.stringify(parsed, null, 2) + '\n').toBe(written);
  });

  test('a processed report stored before linesIn, quarantinedLines and extraNumericColumns still reads', async () => {
    const { quality, ...rest } = await processedReport();
    const { linesIn: _l, quarantinedLines: _q, extraNumericColumns: _e, ...older } = quality!;
    expect(parseReport(JSON.parse(JSON.stringify({ ...rest, quality: older }))).quality).toEqual(older);
  });

  test('a rejected report as written parses back to the same report', () => {
    expect(parseReport(JSON.parse(JSON.stringify(rejected)))).toEqual(rejected);
  });

  test('a malformed report is an error naming its key and each bad field once', async () => {
    const report = JSON.parse(JSON.stringify(await processedReport()));
    const { ragged_row: _ragged, ...byReason } = report.quality.quarantineByReason;
    const bad = {
      ...report,
      format: 'aiaas-factory/preprocess-report@0',
      input: { ...report.input, size: -1 },
      quality: { ...report.quality, rowsIn: 1.5, quarantineByReason: byReason },
    };
    expect(() => parseReport(bad, 'reports/a/v-v1.json')).toThrow(
      'reports/a/v-v1.json: not a preprocess report: format: must be "aiaas-factory/preprocess-report@1"; ' +
        'input.size: must be a whole number ≥ 0; quality.rowsIn: must be a whole number ≥ 0; ' +
        'quality.quarantineByReason.ragged_row: must be a whole number ≥ 0',
    );
  });

  test('the status decides which of quality and rejection a report holds', async () => {
    const { quality } = await processedReport();
    expect(() => parseReport({ ...rejected, quality })).toThrow(
      'preprocess report: not a preprocess report: quality: must be absent when status is rejected',
    );
    expect(() => parseReport({ ...rejected, status: 'processed' })).toThrow(
      'not a preprocess report: quality: required when status is processed; rejection: must be absent when status is processed',
    );
    expect(() => parseReport('{}')).toThrow('not a preprocess report: report: must be an object');
  });

  test("the core's quality report (factory preprocess's report.json) has its own schema", async () => {
    const { report } = await preprocessBytes(
      new TextEncoder().encode(SMALL_HEADER + '1,1,A,1,2,3\n'),
      SMALL_SCHEMA,
    );
    expect(qualityReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });
});
