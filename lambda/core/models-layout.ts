/**
 * The models bucket, as the training state machine writes it and serving reads it, defined once:
 *
 *   models/<version>/model.json               every promoted-or-kept candidate artifact (history)
 *   models/current.json                       the pointer { version, key, promotedAt, metrics }
 *   models/drift/<version>/<end>.json         a drift report: the window ending <end> against <version>
 *   models/<version>/registry.json            the version's Model Registry package { group, packageArn, status }
 *   training/<run id>/model.json              a run's candidate, written by the trainer
 *   training/<run id>/report.html             the run's model report (HTML), beside its candidate
 *   training/<run id>/partials/               the run's shard partials, where the hosts meet
 *   training/outputs/                         SageMaker's own OutputDataConfig (model.tar.gz)
 *   capacity/job-records.json                 a snapshot of calibration records
 *   capacity/records/<engine>/<job>.json      one calibration record per finished job
 *
 * The stacks grant and the handlers read through these names, so no prefix is spelled twice.
 */

/** Artifacts and the current pointer: what serving reads. */
export const MODELS_PREFIX = 'models/';
export const CURRENT_POINTER_KEY = `${MODELS_PREFIX}current.json`;
/** Candidates and shard partials of training runs. */
export const TRAINING_PREFIX = 'training/';
/** Calibration records of past jobs (read by plan, written by record-job). */
export const CAPACITY_PREFIX = 'capacity/';
export const JOB_RECORDS_KEY = `${CAPACITY_PREFIX}job-records.json`;
export const JOB_RECORDS_PREFIX = `${CAPACITY_PREFIX}records/`;
/** Where SageMaker writes its own output archive (the platform does not read it). */
export const SAGEMAKER_OUTPUT_PREFIX = `${TRAINING_PREFIX}outputs/`;

/** `models/<version>/model.json` */
export function artifactKey(version: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(version))
    throw new Error(`model version ${JSON.stringify(version)} is not key-safe`);
  return `${MODELS_PREFIX}${version}/model.json`;
}

/** `models/<version>/registry.json`: which model package the version is in the Model Registry. */
export function registryRecordKey(version: string): string {
  return artifactKey(version).replace(/model\.json$/, 'registry.json');
}

/** Drift reports of the served data, per model version (written by the drift step). */
export const DRIFT_REPORTS_PREFIX = `${MODELS_PREFIX}drift/`;

/** `models/drift/<version>/<end>.json`, `end` the window's end as a compact time (`20240501T120000Z`). */
export function driftReportKey(version: string, end: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(version) || !/^[0-9TZ]+$/.test(end))
    throw new Error(`drift report of ${JSON.stringify(version)} at ${JSON.stringify(end)} is not key-safe`);
  return `${DRIFT_REPORTS_PREFIX}${version}/${end}.json`;
}

/** `training/<run>/model.json`, with the run id as given (a token in the state machine). */
export function candidateKey(runId: string): string {
  return `${TRAINING_PREFIX}${runId}/model.json`;
}

/** `training/<run>/partials/`, with the run id as given (a token in the state machine). */
export function partialsPrefix(runId: string): string {
  return `${TRAINING_PREFIX}${runId}/partials/`;
}

/** The model report's file name: written beside every artifact the trainer writes. */
export const REPORT_FILE = 'report.html';

/** `training/<run>/report.html`: the report of a run's candidate (run id as given, a token in the state machine). */
export function reportKey(runId: string): string {
  return `${TRAINING_PREFIX}${runId}/${REPORT_FILE}`;
}

/**
 * The report beside any artifact key or path: `<dir>/model.json` → `<dir>/report.html`, and
 * `<dir>/<name>.json` → `<dir>/<name>.report.html` for an artifact not called model.json.
 * `reportBeside(candidateKey(run)) === reportKey(run)`.
 */
export function reportBeside(artifactKeyOrPath: string): string {
  const slash = artifactKeyOrPath.lastIndexOf('/');
  const dir = artifactKeyOrPath.slice(0, slash + 1);
  const file = artifactKeyOrPath.slice(slash + 1);
  if (file === 'model.json' || file === '') return `${dir}${REPORT_FILE}`;
  return `${dir}${file.replace(/\.json$/, '')}.${REPORT_FILE}`;
}
