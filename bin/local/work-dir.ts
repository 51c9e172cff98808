import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import { reportBeside } from '../../lambda/core/models-layout';
import type { LocalPipelineSummary } from './pipeline-summary';
import { hostName } from './trainer-hosts';

/** Where one run keeps its files: generated data, the hosts' /opt/ml trees, the summary, the model and its report. */
export interface WorkDir {
  readonly workDir: string;
  readonly dataDir: string;
  readonly hostsDir: string;
  readonly summaryPath: string;
  readonly modelPath: string;
  /** The model report (HTML) beside model.json. */
  readonly reportPath: string;
}

/** @param workDir @default a fresh directory under the OS temp dir */
export function workDirLayout(workDir = mkdtempSync(join(tmpdir(), 'factory-local-'))): WorkDir {
  return {
    workDir,
    dataDir: join(workDir, 'data'),
    hostsDir: join(workDir, 'opt-ml'),
    summaryPath: join(workDir, 'summary.json'),
    modelPath: join(workDir, 'model.json'),
    reportPath: reportBeside(join(workDir, 'model.json')),
  };
}

export async function writeRunFiles(
  dir: WorkDir,
  artifact: ModelArtifact,
  summary: LocalPipelineSummary,
  /** The trainer's report.html (lambda/core/model-report.ts), as it wrote it. */
  report: string,
): Promise<void> {
  await writeFile(dir.modelPath, JSON.stringify(artifact, null, 2) + '\n');
  await writeFile(dir.reportPath, report);
  await writeFile(dir.summaryPath, JSON.stringify(summary, null, 2) + '\n');
}

/** The CSVs are bulk; the truth document beside them is small and the summary points to it. */
export function removeBulkData({ dataDir, hostsDir }: WorkDir): void {
  if (existsSync(dataDir))
    for (const name of readdirSync(dataDir))
      if (name.endsWith('.csv')) rmSync(join(dataDir, name), { force: true });
  if (existsSync(hostsDir)) {
    for (let i = 0; existsSync(join(hostsDir, hostName(i))); i++)
      rmSync(join(hostsDir, hostName(i), 'input', 'data'), { recursive: true, force: true });
  }
}
