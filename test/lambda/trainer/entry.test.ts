import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv/dist/2020';
import { modelArtifactJsonSchema, type ModelArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { runTrainer } from '../../../lambda/trainer/entry';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const quiet = () => undefined;

let work: string;
const files: { name: string; bytes: Buffer }[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'trainer-'));
  const ds = new SyntheticDataset({ rows: 9000, files: 6, seed: 31 });
  for (let k = 0; k < ds.fileCount; k++)
    files.push({ name: `part-${k}.csv`, bytes: Buffer.concat([...ds.fileChunks(k)]) });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Lays out /opt/ml for one host under `root` with the given files in the train channel. */
function layout(
  root: string,
  host: string,
  hosts: string[],
  mine: { name: string; bytes: Buffer }[],
  hyperparameters: Record<string, string>,
  distribution = 'ShardedByS3Key',
): void {
  mkdirSync(join(root, 'input', 'config'), { recursive: true });
  mkdirSync(join(root, 'input', 'data', 'train'), { recursive: true });
  writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hyperparameters));
  writeFileSync(
    join(root, 'input', 'config', 'resourceconfig.json'),
    JSON.stringify({
      current_host: host,
      hosts,
      current_instance_type: 'ml.m5.large',
      network_interface_name: 'eth0',
    }),
  );
  writeFileSync(
    join(root, 'input', 'config', 'inputdataconfig.json'),
    JSON.stringify({
      train: {
        ContentType: 'text/csv',
        TrainingInputMode: 'File',
        S3DistributionType: distribution,
        RecordWrapperType: 'None',
      },
    }),
  );
  for (const f of mine) writeFileSync(join(root, 'input', 'data', 'train', f.name), f.bytes);
}

const model = (root: string) =>
  JSON.parse(readFileSync(join(root, 'model', 'model.json'), 'utf8')) as ModelArtifact;

describe('trainer entry, SageMaker mode', () => {
  let single: ModelArtifact;

  beforeAll(async () => {
    const root = join(work, 'single');
    layout(root, 'algo-1', ['algo-1'], files, { holdout: '0.2', fill: 'none', ridge: '0' });
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: quiet })).toBe(0);
    single = model(root);
  });

  it('writes /opt/ml/model/model.json valid against the artifact schema on one host', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(modelArtifactJsonSchema());
    expect(validate(single)).toBe(true);
    expect(single.capacity).toEqual({
      engine: 'sagemaker',
      instances: 1,
      instanceType: 'ml.m5.large',
      shards: 1,
    });
    expect(single.lineage.inputs.map((i) => i.key)).toEqual(files.map((f) => f.name));
    expect(single.lineage.inputs.every((i) => /^[0-9a-f]{64}$/.test(i.sha256 ?? ''))).toBe(true);
  });

  it('gives the one-host weights within 1e-12 on three hosts over disjoint ShardedByS3Key shards', async () => {
    const hosts = ['algo-1', 'algo-2', 'algo-3'];
    const partials = join(work, 'partials-3');
    const roots = hosts.map((h) => join(work, `three-${h}`));
    hosts.forEach((h, i) =>
      layout(
        roots[i],
        h,
        [...hosts].reverse(),
        files.filter((_, k) => k % 3 === i),
        { holdout: '0.2', partials_dir: partials, poll_milliseconds: '20', wait_timeout_seconds: '60' },
      ),
    );
    const codes = await Promise.all(
      roots.map((root) => runTrainer(['train'], { env: {}, smRoot: root, log: quiet })),
    );
    expect(codes).toEqual([0, 0, 0]);
    const merged = model(roots[0]);
    merged.weights.forEach((w, j) => expect(relative(w, single.weights[j])).toBeLessThan(1e-12));
    expect(relative(merged.bias, single.bias)).toBeLessThan(1e-9);
    expect(merged.metrics.rows).toBe(single.metrics.rows);
    expect(merged.rows).toBe(single.rows);
    expect(merged.capacity.instances).toBe(3);
    expect(() => readFileSync(join(roots[1], 'model', 'model.json'))).toThrow(/ENOENT/);
  });

  it('deals out files itself when every host sees all of them (FullyReplicated)', async () => {
    const hosts = ['algo-1', 'algo-2'];
    const partials = join(work, 'partials-full');
    const roots = hosts.map((h) => join(work, `full-${h}`));
    hosts.forEach((h, i) =>
      layout(
        roots[i],
        h,
        hosts,
        files,
        { holdout: '0.2', partials_dir: partials, poll_milliseconds: '20' },
        'FullyReplicated',
      ),
    );
    expect(
      await Promise.all(roots.map((root) => runTrainer(['train'], { env: {}, smRoot: root, log: quiet }))),
    ).toEqual([0, 0]);
    const merged = model(roots[0]);
    expect(merged.rows).toBe(single.rows);
    merged.weights.forEach((w, j) => expect(relative(w, single.weights[j])).toBeLessThan(1e-12));
  });

  it('writes the reason to /opt/ml/output/failure and exits 1 on a bad hyperparameter', async () => {
    const root = join(work, 'bad');
    layout(root, 'algo-1', ['algo-1'], files.slice(0, 1), { holdout: '1.5' });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: quiet })).toBe(1);
    spy.mockRestore();
    expect(readFileSync(join(root, 'output', 'failure'), 'utf8')).toBe(
      'TrainerConfigError: hyperparameter holdout="1.5": must be a number in [0, 1)',
    );
  });

  it('fails when several hosts have no place to meet', async () => {
    const root = join(work, 'nomeet');
    layout(root, 'algo-2', ['algo-1', 'algo-2'], files.slice(0, 1), {});
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: quiet })).toBe(1);
    spy.mockRestore();
    expect(readFileSync(join(root, 'output', 'failure'), 'utf8')).toMatch(
      /2 hosts need a meeting place for partials/,
    );
  });
});

describe('trainer entry, AWS Batch array mode', () => {
  it('gives the one-process weights from p array children and a reduce', async () => {
    const input = join(work, 'batch-input');
    mkdirSync(input, { recursive: true });
    for (const f of files) writeFileSync(join(input, f.name), f.bytes);
    const base = {
      TRAINER_INPUT_DIR: input,
      TRAINER_PARTIALS_DIR: join(work, 'batch-partials'),
      TRAINER_MODEL_PATH: join(work, 'batch-model', 'model.json'),
      TRAINER_HOLDOUT: '0.2',
      AWS_BATCH_JOB_ARRAY_SIZE: '4',
    };
    for (let i = 0; i < 4; i++) {
      expect(
        await runTrainer(['batch'], { env: { ...base, AWS_BATCH_JOB_ARRAY_INDEX: String(i) }, log: quiet }),
      ).toBe(0);
    }
    expect(await runTrainer(['reduce'], { env: base, log: quiet })).toBe(0);
    const reduced = JSON.parse(readFileSync(base.TRAINER_MODEL_PATH, 'utf8')) as ModelArtifact;
    const root = join(work, 'batch-ref');
    layout(root, 'algo-1', ['algo-1'], files, { holdout: '0.2' });
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: quiet })).toBe(0);
    const ref = model(root);
    reduced.weights.forEach((w, j) => expect(relative(w, ref.weights[j])).toBeLessThan(1e-12));
    expect(reduced.capacity).toEqual({ engine: 'batch', instances: 4, shards: 4 });
  });

  it('rejects an array index outside the array', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const code = await runTrainer(['batch'], {
      env: {
        TRAINER_PARTIALS_DIR: work,
        TRAINER_INPUT_DIR: work,
        AWS_BATCH_JOB_ARRAY_INDEX: '4',
        AWS_BATCH_JOB_ARRAY_SIZE: '4',
      },
      log: quiet,
    });
    expect(code).toBe(1);
    expect(spy.mock.calls[0][0]).toMatch(/AWS_BATCH_JOB_ARRAY_INDEX must be in \[0, 4\), got 4/);
    spy.mockRestore();
  });
});

/** The same files with a pass/fail target: quality above 88 is 1, else 0 (a missing cell stays missing). */
function passFail(f: { name: string; bytes: Buffer }): { name: string; bytes: Buffer } {
  const lines = f.bytes.toString('utf8').split('\n');
  const out = lines.map((line, i) => {
    if (i === 0 || line === '') return line;
    const cut = line.lastIndexOf(',');
    const q = line.slice(cut + 1);
    return q === '' ? line : `${line.slice(0, cut + 1)}${Number(q) > 88 ? 1 : 0}`;
  });
  return { name: f.name, bytes: Buffer.from(out.join('\n')) };
}

describe('trainer entry, classification', () => {
  let single: ModelArtifact;
  const classified = () => files.map(passFail);

  beforeAll(async () => {
    const root = join(work, 'class-single');
    layout(root, 'algo-1', ['algo-1'], classified(), { holdout: '0.2' });
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: quiet })).toBe(0);
    single = model(root);
  });

  it('trains a pass/fail target as a classification on one host (task auto)', () => {
    expect(single.task).toBe('classification');
    expect(single.classes).toEqual({ positive: 1, negative: 0 });
    expect(single.iterations).toBeGreaterThan(2);
    expect(single.metrics.classification?.auc).toBeGreaterThan(0.8);
  });

  it('gives the one-host weights within 1e-9 on three hosts meeting each Newton iteration through the partials store', async () => {
    const hosts = ['algo-1', 'algo-2', 'algo-3'];
    const partials = join(work, 'class-partials-3');
    const roots = hosts.map((h) => join(work, `class-three-${h}`));
    const mine = classified();
    hosts.forEach((h, i) =>
      layout(
        roots[i],
        h,
        hosts,
        mine.filter((_, k) => k % 3 === i),
        { holdout: '0.2', partials_dir: partials, poll_milliseconds: '5', wait_timeout_seconds: '60' },
      ),
    );
    const codes = await Promise.all(
      roots.map((root) => runTrainer(['train'], { env: {}, smRoot: root, log: quiet })),
    );
    expect(codes).toEqual([0, 0, 0]);
    const merged = model(roots[0]);
    expect(merged.task).toBe('classification');
    merged.weights.forEach((w, j) => expect(relative(w, single.weights[j])).toBeLessThan(1e-9));
    expect(merged.iterations).toBe(single.iterations);
    expect(merged.metrics.classification?.confusion).toEqual(single.metrics.classification?.confusion);
    expect(
      relative(merged.metrics.classification!.logLoss, single.metrics.classification!.logLoss),
    ).toBeLessThan(1e-12);
  });

  it('gives the one-host weights from Batch children and a reduce that runs the passes', async () => {
    const input = join(work, 'class-batch-input');
    mkdirSync(input, { recursive: true });
    for (const f of classified()) writeFileSync(join(input, f.name), f.bytes);
    const base = {
      TRAINER_INPUT_DIR: input,
      TRAINER_PARTIALS_DIR: join(work, 'class-batch-partials'),
      TRAINER_MODEL_PATH: join(work, 'class-batch-model', 'model.json'),
      TRAINER_HOLDOUT: '0.2',
      AWS_BATCH_JOB_ARRAY_SIZE: '2',
    };
    for (let i = 0; i < 2; i++)
      expect(
        await runTrainer(['batch'], { env: { ...base, AWS_BATCH_JOB_ARRAY_INDEX: String(i) }, log: quiet }),
      ).toBe(0);
    expect(await runTrainer(['reduce'], { env: base, log: quiet })).toBe(0);
    const reduced = JSON.parse(readFileSync(base.TRAINER_MODEL_PATH, 'utf8')) as ModelArtifact;
    expect(reduced.task).toBe('classification');
    reduced.weights.forEach((w, j) => expect(relative(w, single.weights[j])).toBeLessThan(1e-9));
  });
});

describe('trainer entry, warnings', () => {
  it('logs a WARN line per warning and writes them to the artifact (a constant feature weighs 0)', async () => {
    const constant = files.slice(0, 2).map((f) => ({
      name: f.name,
      bytes: Buffer.from(
        f.bytes
          .toString('utf8')
          .split('\n')
          .map((line, i) => {
            if (i === 0 || line === '') return line;
            const cells = line.split(',');
            if (cells[7] !== '') cells[7] = '50';
            return cells.join(',');
          })
          .join('\n'),
      ),
    }));
    const root = join(work, 'warn-single');
    layout(root, 'algo-1', ['algo-1'], constant, { holdout: '0.2' });
    const events: Record<string, unknown>[] = [];
    expect(await runTrainer(['train'], { env: {}, smRoot: root, log: (e) => events.push(e) })).toBe(0);
    const artifact = model(root);
    expect(artifact.weights[artifact.features.indexOf('humidity')]).toBe(0);
    expect(artifact.warnings).toEqual([expect.stringMatching(/^constant feature "humidity"/)]);
    expect(events).toContainEqual({
      level: 'WARN',
      message: 'training warning',
      warning: artifact.warnings![0],
    });
  });
});
