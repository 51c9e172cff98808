import fc from 'fast-check';
import {
  calibrate,
  JOB_RECORDS_FORMAT,
  JobRecordFormatError,
  mergeJobRecords,
  parseJobRecord,
  parseJobRecordsDocument,
  type JobRecord,
} from '../../../lambda/core/calibration';

const defaults = { secondsPerUnit: 0.01, startupSeconds: 120 };

const record = (jobName: string, units: number, instances: number, wallSeconds: number): JobRecord => ({
  jobName,
  engine: 'sagemaker',
  units,
  instances,
  billableSeconds: wallSeconds,
  startupSeconds: 0,
  wallSeconds,
});

describe('calibrate', () => {
  test('recovers c and t0 exactly from records on a line', () => {
    const records = [
      record('a', 1000, 1, 90 + 2000),
      record('b', 4000, 2, 90 + 4000),
      record('c', 9000, 3, 6090),
    ];
    const result = calibrate(records, defaults);
    expect(result.source).toBe('fit');
    expect(result.c).toBeCloseTo(2, 10);
    expect(result.t0).toBeCloseTo(90, 8);
    expect(result.r2).toBeCloseTo(1, 12);
    expect(result.rmseSeconds).toBeCloseTo(0, 8);
  });

  test('is the least-squares line through noisy records', () => {
    // x = 1, 2, 3, 4 ; y = 3, 5, 8, 9 → slope 2.1, intercept 1 (by hand).
    const records = [record('a', 1, 1, 3), record('b', 2, 1, 5), record('c', 3, 1, 8), record('d', 4, 1, 9)];
    const result = calibrate(records, defaults);
    expect(result.c).toBeCloseTo(2.1, 12);
    expect(result.t0).toBeCloseTo(1, 12);
  });

  test('uses the defaults with fewer than two records', () => {
    expect(calibrate([record('a', 100, 1, 10)], defaults)).toEqual({
      c: 0.01,
      t0: 120,
      source: 'defaults',
      reason: 'too-few-records',
      records: 1,
      skipped: 0,
    });
    expect(calibrate([], defaults)).toMatchObject({
      source: 'defaults',
      reason: 'too-few-records',
      records: 0,
    });
  });

  test('uses the defaults when every record has the same units per instance', () => {
    const records = [record('a', 100, 1, 10), record('b', 200, 2, 12), record('c', 300, 3, 11)];
    expect(calibrate(records, defaults)).toMatchObject({
      source: 'defaults',
      reason: 'degenerate',
      c: 0.01,
      t0: 120,
    });
  });

  test('uses the defaults when the slope comes out negative', () => {
    const records = [record('a', 100, 1, 50), record('b', 200, 1, 40)];
    expect(calibrate(records, defaults)).toMatchObject({ source: 'defaults', reason: 'negative-estimate' });
  });

  test('uses the defaults when the intercept comes out negative', () => {
    const records = [record('a', 100, 1, 10), record('b', 200, 1, 30)];
    expect(calibrate(records, defaults)).toMatchObject({ source: 'defaults', reason: 'negative-estimate' });
  });

  test('skips unusable records and counts them', () => {
    const bad = { ...record('z', 0, 1, 5) };
    const records = [record('a', 1000, 1, 2090), record('b', 2000, 1, 4090), bad];
    expect(calibrate(records, defaults)).toMatchObject({ source: 'fit', records: 2, skipped: 1 });
  });

  test('a fit is always non-negative and reproduces exact lines', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 1, max: 100_000 }), { minLength: 2, maxLength: 20 }),
        (c, t0, units) => {
          const result = calibrate(
            units.map((u, i) => record(`j${i}`, u, 1, t0 + c * u)),
            defaults,
          );
          if (result.source === 'fit') {
            expect(result.c).toBeCloseTo(c, 6);
            expect(Math.abs(result.t0 - t0)).toBeLessThan(1e-6 * (1 + t0 + c * 100_000));
          }
          expect(result.c).toBeGreaterThan(0);
          expect(result.t0).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('job records', () => {
  test('a later record with the same engine and name replaces the earlier one', () => {
    const merged = mergeJobRecords([record('a', 1, 1, 1), record('b', 2, 1, 2)], [record('a', 3, 1, 3)]);
    expect(merged).toEqual([record('a', 3, 1, 3), record('b', 2, 1, 2)]);
  });

  test('a record round-trips through JSON', () => {
    const full: JobRecord = {
      ...record('a', 10, 2, 30),
      instanceType: 'ml.m5.large',
      endedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(parseJobRecord(JSON.parse(JSON.stringify(full)))).toEqual(full);
  });

  test('a malformed record names the field', () => {
    expect(() => parseJobRecord({ ...record('a', 10, 2, 30), units: 1.5 })).toThrow(JobRecordFormatError);
    expect(() => parseJobRecord({ ...record('a', 10, 2, 30), engine: 'lambda' })).toThrow(/record\.engine/);
  });

  test('a document is an object with a records array, or a bare array', () => {
    const records = [record('a', 10, 2, 30)];
    expect(parseJobRecordsDocument({ format: 'aiaas-factory/job-records@1', records })).toEqual(records);
    expect(parseJobRecordsDocument(records)).toEqual(records);
    expect(() => parseJobRecordsDocument({})).toThrow(/records: must be an array of job records/);
  });

  test('a malformed record names each bad field once, after where it was read', () => {
    const bad = { ...record('a', 10, 2, 30), units: 0, wallSeconds: -1, jobName: '' };
    expect(() => parseJobRecord(bad, 'capacity/records/sagemaker/a.json')).toThrow(
      'invalid job record: capacity/records/sagemaker/a.json.jobName: must be a job name; ' +
        'capacity/records/sagemaker/a.json.units: must be a whole number ≥ 1; ' +
        'capacity/records/sagemaker/a.json.wallSeconds: must be a finite number of seconds ≥ 0',
    );
    expect(() => parseJobRecord([])).toThrow('invalid job record: record: must be an object');
  });

  test('a malformed document names the record and field, and its format', () => {
    const records = [record('a', 10, 2, 30), { ...record('b', 10, 2, 30), engine: 'lambda' }];
    expect(() => parseJobRecordsDocument({ format: 'aiaas-factory/job-records@1', records })).toThrow(
      'invalid job records document: records[1].engine: must be "sagemaker" or "batch"',
    );
    expect(() => parseJobRecordsDocument({ format: 'x@1', records: [] })).toThrow(
      'invalid job records document: format: must be "aiaas-factory/job-records@1"',
    );
  });

  test('a snapshot document parses back to its records, and to the same bytes', () => {
    const records: JobRecord[] = [
      { ...record('a', 10, 2, 30), instanceType: 'ml.m5.large', endedAt: '2026-01-01T00:00:00.000Z' },
      { ...record('b', 20, 1, 50), engine: 'batch' },
    ];
    const written = JSON.stringify({ format: JOB_RECORDS_FORMAT, records }, null, 2) + '\n';
    const parsed = parseJobRecordsDocument(JSON.parse(written));
    expect(parsed).toEqual(records);
    expect(JSON.stringify({ format: JOB_RECORDS_FORMAT, records: parsed }, null, 2) + '\n').toBe(written);
  });
});
