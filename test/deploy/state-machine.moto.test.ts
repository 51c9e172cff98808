/**
 * Issue 11, "prove it" 2: the training state machine runs in a real interpreter. The synthesized
 * definition, for each engine, goes to moto's CreateStateMachine (LocalStack's ASL parser: it
 * refuses an invalid definition) and runs once on a fresh moto_server; each Lambda step's payload
 * is read back from the execution history and given to that step's own handler code. moto cannot
 * run the SageMaker and Batch `.sync` jobs: only those states are replaced (moto-gaps.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTrainingJobCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  type CreateTrainingJobRequest,
} from '@aws-sdk/client-sagemaker';
import { motoAvailable, MOTO_INSTALL_HINT } from '../../bin/local/moto-server';
import { parseLocation, readPointer } from '../../lambda/adapters/model-store';
import { candidateLocation, readEvaluateConfig, runEvaluate } from '../../lambda/handlers/evaluate';
import { runPlan, readPlanConfig, type PlanEvent } from '../../lambda/handlers/plan';
import { readPromoteConfig, runPromote, type PromoteEvent } from '../../lambda/handlers/promote';
import { sageMakerJobDescriber } from '../../lambda/adapters/job-records';
import { decodeFinishedJob, runRecordJob } from '../../lambda/handlers/record-job';
import { FAILING_LAMBDA_ERROR } from './moto-gaps';
import {
  deliverStatusChange,
  putCandidate,
  runTraining,
  stepDeps,
  synthesizeTraining,
  trainCandidate,
  type Engine,
  type RunContext,
  type StatusChangeDelivery,
  type SynthesizedTraining,
  type TrainingRun,
  type Workaround,
} from './training-run';

const available = motoAvailable();
if (!available) console.warn(`state machine runs skipped: ${MOTO_INSTALL_HINT}`);
const describeWithMoto = available ? describe : describe.skip;

/** A check made with the product's own code: its value, or the error it threw. */
type Checked<T> = { ok: true; value: T } | { ok: false; error: string };
async function check<T>(fn: () => T | Promise<T>): Promise<Checked<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/**
 * Batch with a workload that needs more than one instance (the default 5M rows fit one), so the
 * run takes the array-job branch: TrainShardsOnBatch with ArrayProperties.Size = p, then the reduce.
 */
const BATCH_ROWS = 300_000_000;
const ENGINE_SETUP: Record<Engine, { training: Record<string, unknown>; rows?: number }> = {
  sagemaker: { training: {} },
  batch: { training: { rowsPerRun: BATCH_ROWS }, rows: BATCH_ROWS },
};

interface HandlerChecks {
  plan: Checked<unknown>;
  record: Checked<unknown>;
  recordOnMoto?: Checked<unknown>;
  evaluateLocation: Checked<unknown>;
  evaluate: Checked<unknown>;
  promoteLocation: Checked<unknown>;
  promote: Checked<unknown>;
  pointerVersion?: string;
  /** The approval status moto's SageMaker holds for the package promote registered. */
  packageStatus?: string;
  delivery: StatusChangeDelivery;
}

function inputOf(run: TrainingRun, handler: string): unknown {
  const found = run.lambdaInputs.filter((l) => l.handler === handler);
  if (found.length !== 1) throw new Error(`${handler} ran ${found.length} times`);
  return found[0].input;
}

/** The stand-in that ran the training job itself (not the reduce). */
function trainingJob(run: TrainingRun) {
  const state = run.engine === 'sagemaker' ? 'TrainOnSageMaker' : 'TrainShardsOnBatch';
  const standIn = run.standIns.find((s) => s.state === state);
  if (!standIn) throw new Error(`${state} did not run`);
  return standIn;
}

function print(run: TrainingRun, extra: readonly Workaround[] = []): void {
  const lines = [
    `\n${run.executionName}: ${run.status}${run.error ? ` (${run.error}: ${run.cause})` : ''} in ${run.seconds.toFixed(1)} s`,
    `  states: ${run.statesEntered.join(' → ')}`,
    ...run.lambdaInputs.map((l) => `  ${l.state} (${l.handler}) received ${JSON.stringify(l.input)}`),
    ...run.standIns.map(
      (s) => `  ${s.state} (${s.integration}, stand-in) request ${JSON.stringify(s.request)}`,
    ),
    ...run.lambdaFailures.map((f) => `  ${f.state} failed: ${f.error}`),
    '  moto workarounds:',
    ...[...run.workarounds, ...extra].map(
      (w) => `    ${w.name}${w.detail ? ` (${w.detail})` : ''}: ${w.gap}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Hands each recorded payload to the step's own handler code, against the run's moto S3. */
async function checkHandlers(run: TrainingRun, ctx: RunContext): Promise<HandlerChecks> {
  const deps = (config: unknown) => stepDeps(ctx, config);
  const plan = await check(() =>
    runPlan(inputOf(run, 'plan') as PlanEvent, deps(readPlanConfig(ctx.environments.plan)) as never),
  );
  const record = await check(() => decodeFinishedJob(inputOf(run, 'record-job')));

  let recordOnMoto: Checked<unknown> | undefined;
  const sageMaker = run.standIns.find((s) => s.integration === 'sagemaker:createTrainingJob.sync');
  if (sageMaker) {
    // moto's SageMaker takes the request the state built and completes the job at once: the
    // record step then describes the very job its input names.
    recordOnMoto = await check(async () => {
      const config = {
        endpoint: ctx.moto.endpoint,
        region: ctx.clients.region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      };
      const sagemaker = new SageMakerClient(config);
      try {
        await sagemaker.send(new CreateTrainingJobCommand(sageMaker.request as CreateTrainingJobRequest));
        return await runRecordJob(inputOf(run, 'record-job'), {
          s3: ctx.clients.s3,
          describe: sageMakerJobDescriber(sagemaker),
          modelsBucket: ctx.environments['record-job'].MODELS_BUCKET!,
          logger: new Logger({ logLevel: 'SILENT' }),
        });
      } finally {
        sagemaker.destroy();
      }
    });
  }

  const evaluateInput = inputOf(run, 'evaluate') as { candidate: unknown };
  const evaluateLocation = await check(() => candidateLocation(evaluateInput.candidate));
  const evaluate = await check(async () => {
    // The training job writes the candidate where the state told it to; evaluate reads it there.
    const location = candidateLocation(evaluateInput.candidate);
    await putCandidate(ctx, location, await trainCandidate(new Date('2026-12-01T03:10:00Z')));
    return runEvaluate(evaluateInput, deps(readEvaluateConfig(ctx.environments.evaluate)) as never);
  });

  let promoteLocation: Checked<unknown> = { ok: false, error: 'promote did not run' };
  let promote: Checked<unknown> = promoteLocation;
  let pointerVersion: string | undefined;
  let packageStatus: string | undefined;
  if (run.lambdaInputs.some((l) => l.handler === 'promote')) {
    const promoteInput = inputOf(run, 'promote') as PromoteEvent;
    promoteLocation = await check(() => candidateLocation(promoteInput.candidate.location));
    const sagemaker = new SageMakerClient({
      endpoint: ctx.moto.endpoint,
      region: ctx.clients.region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      promote = await check(() =>
        runPromote(promoteInput, {
          ...deps(readPromoteConfig(ctx.environments.promote)),
          sagemaker,
        } as never),
      );
      if (promote.ok) {
        const { packageArn } = (promote.value as { registry: { packageArn: string } }).registry;
        packageStatus = (
          await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }))
        ).ModelApprovalStatus;
      }
    } finally {
      sagemaker.destroy();
    }
    pointerVersion = (await readPointer(ctx.clients.s3, ctx.modelsBucket))?.version;
  }
  const delivery = await deliverStatusChange(ctx, run);
  return {
    plan,
    record,
    recordOnMoto,
    evaluateLocation,
    evaluate,
    promoteLocation,
    promote,
    pointerVersion,
    packageStatus,
    delivery,
  };
}

describeWithMoto("the training state machine in moto's Step Functions interpreter", () => {
  const runs: Partial<Record<Engine, { run: TrainingRun; checks: HandlerChecks }>> = {};
  let failing: { run: TrainingRun; delivery: StatusChangeDelivery };
  let endings: { kept: TrainingRun; awaiting: TrainingRun };
  beforeAll(async () => {
    const synthesized: Partial<Record<Engine, SynthesizedTraining>> = {};
    for (const engine of ['sagemaker', 'batch'] as const) {
      synthesized[engine] = synthesizeTraining(engine, ENGINE_SETUP[engine].training);
    }
    // Three executions, each on its own moto_server, side by side (each mostly waits on moto).
    const happy = (engine: Engine) =>
      runTraining(synthesized[engine]!, { rows: ENGINE_SETUP[engine].rows }, async (run, ctx) => ({
        run,
        checks: await checkHandlers(run, ctx),
      }));
    const ending = (promotion: 'kept' | 'awaiting-approval') =>
      runTraining(synthesized.sagemaker!, { promotion }, async (run) => run);
    const [sagemaker, batch, failed, kept, awaiting] = await Promise.all([
      happy('sagemaker'),
      happy('batch'),
      runTraining(synthesized.sagemaker!, { failStep: 'evaluate' }, async (run, ctx) => ({
        run,
        delivery: await deliverStatusChange(ctx, run),
      })),
      ending('kept'),
      ending('awaiting-approval'),
    ]);
    Object.assign(runs, { sagemaker, batch });
    failing = failed;
    endings = { kept, awaiting };
    print(kept);
    print(awaiting);
    print(sagemaker.run, [sagemaker.checks.delivery.workaround]);
    print(batch.run, [batch.checks.delivery.workaround]);
    print(failed.run, [failed.delivery.workaround]);
  }, 300_000);

  describe.each(['sagemaker', 'batch'] as const)('with training.engine = %s', (engine) => {
    let run: TrainingRun;
    let checks: HandlerChecks;
    beforeAll(() => {
      ({ run, checks } = runs[engine]!);
    });

    it('CreateStateMachine accepts the synthesized definition', () => {
      expect(run.stateMachineArn).toMatch(/^arn:aws:states:us-east-1:123456789012:stateMachine:/);
    });

    it(`runs to Done through the ${engine} branch`, () => {
      expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      const branch =
        engine === 'sagemaker'
          ? ['TrainOnSageMaker', 'RecordSageMakerJob']
          : ['ShardsOnBatch', 'TrainShardsOnBatch', 'ReduceOnBatch', 'RecordBatchJob'];
      expect(run.statesEntered).toEqual(
        expect.arrayContaining([
          'StartRun',
          'PlanCapacity',
          ...branch,
          'EvaluateCandidate',
          'PromoteCandidate',
          'Done',
        ]),
      );
      expect(run.lambdaInputs.map((l) => l.handler)).toEqual(['plan', 'record-job', 'evaluate', 'promote']);
    });

    it('gives the plan step what the plan handler accepts, which plans what the run went on with', () => {
      expect(inputOf(run, 'plan')).toEqual({ engine });
      expect(checks.plan).toEqual({ ok: true, value: run.plan });
      if (engine === 'batch') expect(run.plan.p).toBeGreaterThan(1);
    });

    it('builds the training job request from the plan and the run id', () => {
      const request = trainingJob(run).request as Record<string, unknown>;
      const runId = (run.output as { run: { id: string } }).run.id;
      if (engine === 'sagemaker') {
        expect(request).toMatchObject({
          TrainingJobName: `train-${runId}`,
          ResourceConfig: { InstanceCount: run.plan.p, InstanceType: run.plan.instanceType },
          InputDataConfig: [
            {
              DataSource: {
                S3DataSource: { S3Uri: expect.stringMatching(new RegExp(`/${run.plan.inputPrefix}$`)) },
              },
            },
          ],
          Tags: [{ Key: 'units', Value: String(run.plan.n) }],
        });
        expect(
          Object.values(request.HyperParameters as Record<string, unknown>).every(
            (v) => typeof v === 'string',
          ),
        ).toBe(true);
      } else {
        expect(request).toMatchObject({ JobName: 'trainer-batch', ArrayProperties: { Size: run.plan.p } });
        const environment = Object.fromEntries(
          (request.ContainerOverrides as { Environment: { Name: string; Value: string }[] }).Environment.map(
            (e) => [e.Name, e.Value],
          ),
        );
        expect(environment.TRAINER_SHARDS).toBe(String(run.plan.p));
        expect(environment.TRAINER_MODEL_S3_URI).toMatch(new RegExp(`/training/${runId}/model\\.json$`));
      }
    });

    it('gives the record step the job the state machine ran, as record-job decodes it', () => {
      const first = trainingJob(run);
      const expected =
        engine === 'sagemaker'
          ? { engine, trainingJobName: (first.request as { TrainingJobName: string }).TrainingJobName }
          : { engine, jobId: (first.output as { JobId: string }).JobId };
      expect(checks.record).toEqual({ ok: true, value: expected });
      if (engine === 'sagemaker') {
        expect(checks.recordOnMoto).toMatchObject({
          ok: true,
          value: { record: { engine, units: run.plan.n } },
        });
      }
    });

    it('gives the evaluate step the location the training job writes the candidate to', () => {
      const runId = (run.output as { run: { id: string } }).run.id;
      const request = trainingJob(run).request as {
        HyperParameters?: { model_s3_uri: string };
        ContainerOverrides?: { Environment: { Name: string; Value: string }[] };
      };
      const written =
        request.HyperParameters?.model_s3_uri ??
        request.ContainerOverrides!.Environment.find((e) => e.Name === 'TRAINER_MODEL_S3_URI')!.Value;
      expect(checks.evaluateLocation).toEqual({ ok: true, value: parseLocation(written) });
      expect(checks.evaluateLocation).toMatchObject({ value: { key: `training/${runId}/model.json` } });
      expect(checks.evaluate).toMatchObject({ ok: true, value: { better: true } });
    });

    it('gives the promote step the evaluation, as promote decodes and applies it', () => {
      expect(checks.promoteLocation).toEqual({ ok: true, value: run.evaluation.candidate.location });
      expect(inputOf(run, 'promote')).toMatchObject({
        better: true,
        candidate: { version: run.evaluation.candidate.version },
      });
      expect(checks.promote).toMatchObject({ ok: true, value: { promoted: true } });
      expect(checks.pointerVersion).toBe(run.evaluation.candidate.version);
    });

    it("registers the candidate in the training stack's Model Registry group, Approved as it is served", () => {
      expect(checks.promote).toMatchObject({
        ok: true,
        value: { registry: { group: 'aiaas-factory-dev-models', status: 'Approved' } },
      });
      expect(checks.packageStatus).toBe('Approved');
    });

    it("does not trigger the monitoring stack's failed-run rule", () => {
      expect(checks.delivery.messages).toEqual([]);
    });
  });

  describe('when the candidate is not served', () => {
    it('still runs promote, which registers it, and ends in KeptCurrentModel when the current model stays', () => {
      const run = endings.kept;
      expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      expect(run.statesEntered.slice(-3)).toEqual(['PromoteCandidate', 'Served', 'KeptCurrentModel']);
      expect(run.lambdaInputs.map((l) => l.handler)).toEqual(['plan', 'record-job', 'evaluate', 'promote']);
    });

    it('ends in AwaitingApproval when promote registered it PendingManualApproval', () => {
      const run = endings.awaiting;
      expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      expect(run.statesEntered.slice(-3)).toEqual(['PromoteCandidate', 'Served', 'AwaitingApproval']);
    });
  });

  describe('when a step fails (the evaluate Lambda returns a function error)', () => {
    let run: TrainingRun;
    let delivery: StatusChangeDelivery;
    beforeAll(() => {
      ({ run, delivery } = failing);
    });

    it('catches it into TrainingFailed, with the Lambda error kept in $.error', () => {
      expect(run.lambdaFailures).toEqual([
        expect.objectContaining({ state: 'EvaluateCandidate', error: FAILING_LAMBDA_ERROR }),
      ]);
      expect(run.statesEntered.slice(-2)).toEqual(['EvaluateCandidate', 'TrainingFailed']);
      expect(run.failureInput).toMatchObject({ error: { Error: FAILING_LAMBDA_ERROR } });
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({
        status: 'FAILED',
        error: 'TrainingFailed',
        cause: 'A training step failed; see the execution history',
      });
    });

    it("notifies through the monitoring stack's rule on FAILED runs, to the alerts topic", () => {
      expect(delivery.targets.map((t) => t.Arn)).toEqual([expect.stringMatching(/^arn:aws:sns:.*Alerts/)]);
      expect(delivery.messages).toEqual([
        JSON.stringify(`Training run ${run.executionName} ended FAILED: ${run.executionArn}`),
      ]);
    });
  });
});
