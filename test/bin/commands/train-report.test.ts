import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as train } from '../../../bin/commands/train';
import { HOLDOUT_SAMPLE_LIMIT } from '../../../lambda/core/holdout-evaluation';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';

let dir: string;
let log: jest.SpyInstance;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-train-report-'));
  const ds = new SyntheticDataset({ rows: 8000, files: 1, seed: 13 });
  writeFileSync(join(dir, 'a.csv'), Buffer.concat([...ds.fileChunks(0)]));
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(() => {
  log.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

describe('factory train writes the model report', () => {
  it('beside --out, naming it on its one summary line', async () => {
    expect(await train([join(dir, 'a.csv'), '--out', join(dir, 'out', 'model.json')])).toBe(0);
    const artifact = JSON.parse(readFileSync(join(dir, 'out', 'model.json'), 'utf8')) as ModelArtifact;
    const report = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(report).toContain(`<title>Model report: quality (${artifact.version})</title>`);
    expect(report).toContain(`${HOLDOUT_SAMPLE_LIMIT} of ${artifact.metrics.rows} held-out rows`);
    expect(report).toContain('factory train&#39;s wall time here');
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toContain(`(report ${join(dir, 'out', 'report.html')})`);
  });

  it('with --json, as the report field', async () => {
    log.mockClear();
    expect(await train([join(dir, 'a.csv'), '--out', join(dir, 'cand.json'), '--json'])).toBe(0);
    expect(JSON.parse(log.mock.calls[0][0] as string).report).toBe(join(dir, 'cand.report.html'));
    expect(readFileSync(join(dir, 'cand.report.html'), 'utf8').startsWith('<!doctype html>')).toBe(true);
  });
});
