/**
 * The training state machine, run in moto's Step Functions interpreter (LocalStack's ASL engine):
 * the synthesized definition itself, its CloudFormation references resolved to resources created
 * on moto (the four step functions, the curated and models buckets) and to names for the rest,
 * handed to CreateStateMachine (which parses and rejects an invalid definition) and executed once
 * on a fresh moto_server.
 *
 * The Lambda steps run on moto's simple Lambda backend, which returns queued results: those are
 * what the real handlers return for this data (the plan and evaluate handlers run here, against
 * the same moto S3, before the execution). After the execution, the payload each Lambda step
 * received is read from the execution history and handed to that handler's own decoding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startMoto, type MotoServer } from '../../bin/local/moto-server';
import { readEvaluateConfig, runEvaluate, type EvaluateOutput } from '../../lambda/handlers/evaluate';
import { preprocessBytes } from '../../lambda/core/preprocess';
import { readPlanConfig, runPlan, type PlanOutput } from '../../lambda/handlers/plan';
import { DEFAULT_DATASET_SCHEMA } from '../../lambda/core/dataset-schema';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../lambda/core/synthetic-data';
import { trainSources } from '../../lambda/core/train';
import { silentMetrics } from '../support/emf';
import { platform } from '../support/synth';
import type { CfnTemplate } from './assembly';
import { motoClients, type MotoClients } from './clients';
import { resolve, type ResolveContext } from './intrinsics';
import {
  ENABLE_STATE_MACHINE_EXECUTION,
  enableStateMachineExecution,
  FAIL_WITH_OVERSIZED_RESULT,
  FAILING_LAMBDA_RESULT,
  STATUS_CHANGE_ON_A_QUEUE,
  SYNC_INTEGRATIONS_AS_PASS_STATES,
  createModelPackageGroups,
  CREATE_MODEL_PACKAGE_GROUPS,
  queueLambdaResults,
  ruleTargetsAsQueue,
  syncIntegrationsAsPassStates,
  type StandIn,
} from './moto-gaps';
import { zipDirectory } from './zip';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export type Engine = 'sagemaker' | 'batch';

/** A function's environment variables, as its handler's config reader takes them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The state machine's Lambda steps, by the handler each function runs. */
export type StepHandler = 'plan' | 'evaluate' | 'promote' | 'record-job';

export interface SynthesizedTraining {
  readonly engine: Engine;
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly trainingStack: string;
  readonly monitoringStack: string;
}

/**
 * The platform's templates for one engine, synthesized from cdk.json's context and `factory`
 * overrides (test/support/synth.ts: the stacks bin/app.ts declares, bundling skipped: the
 * definition does not depend on it).
 */
export function synthesizeTraining(
  engine: Engine,
  training: Record<string, unknown> = {},
): SynthesizedTraining {
  const { app, stacks } = platform({ account: ACCOUNT, region: REGION, training: { engine, ...training } });
  // One synth of the app, as `cdk synth` does (Template.fromStack would synthesize once per stack).
  const assembly = app.synth();
  const templates: Record<string, CfnTemplate> = {};
  for (const stack of Object.values(stacks)) {
    templates[stack.stackName] = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  }
  return {
    engine,
    templates,
    trainingStack: stacks.training.stackName,
    monitoringStack: stacks.monitoring.stackName,
  };
}

/** Physical names for what the definition references; the Lambda functions and buckets exist on moto. */
class EmulatedResources {
  readonly functions = new Map<string, { name: string; arn: string; handler: StepHandler }>();
  readonly buckets = new Map<string, string>();
  constructor(readonly stateMachineName: string) {}

  readonly physical: ResolveContext['physical'] = (stack, logicalId, type, attribute) => {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
    const short = `${stack.split('-').pop()}-${logicalId}`.slice(0, 64);
    switch (type) {
      case 'AWS::Lambda::Function': {
        const fn = this.functions.get(`${stack}/${logicalId}`);
        if (!fn)
          throw new Error(`the definition references ${stack}/${logicalId}, which is not a step function`);
        return attribute === 'Arn' ? fn.arn : fn.name;
      }
      case 'AWS::S3::Bucket': {
        const name = `${short.toLowerCase()}`.slice(0, 63);
        this.buckets.set(`${stack}/${logicalId}`, name);
        return attribute === 'Arn' ? `arn:aws:s3:::${name}` : name;
      }
      case 'AWS::IAM::Role':
        return attribute === 'Arn' ? `arn:aws:iam::${ACCOUNT}:role/${short}` : short;
      case 'AWS::KMS::Key':
        return attribute === 'Arn' ? arn('kms', `key/${logicalId}`) : logicalId;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hex(logicalId)}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${hex(logicalId)}`;
      case 'AWS::Batch::JobQueue':
        return arn('batch', `job-queue/${short}`);
      case 'AWS::Batch::JobDefinition':
        return arn('batch', `job-definition/${short}:1`);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${this.stateMachineName}`);
      case 'AWS::SNS::Topic':
        return arn('sns', short);
      default:
        throw new Error(`no emulated value for ${type} ${stack}/${logicalId} ${attribute ?? 'Ref'}`);
    }
  };
}

function hex(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0') + '0'.repeat(9);
}

const STEP_HANDLERS: readonly StepHandler[] = ['plan', 'evaluate', 'promote', 'record-job'];

/** Which step a function of the template runs: its handler's service name (POWERTOOLS_SERVICE_NAME). */
function stepOf(resource: { Type: string; Properties?: Record<string, unknown> }): StepHandler | undefined {
  if (resource.Type !== 'AWS::Lambda::Function') return undefined;
  const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  const service = variables?.POWERTOOLS_SERVICE_NAME;
  return STEP_HANDLERS.find((h) => h === service);
}

/** A Lambda step's invocation, from the execution history. */
export interface LambdaTaskInput {
  readonly state: string;
  readonly handler: StepHandler;
  readonly input: unknown;
}

export interface TrainingRun {
  readonly engine: Engine;
  readonly executionName: string;
  readonly executionArn: string;
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
  /** Every state entered, in order. */
  readonly statesEntered: readonly string[];
  readonly lambdaInputs: readonly LambdaTaskInput[];
  /** Failed Lambda invocations: state and error. */
  readonly lambdaFailures: readonly { state: string; error?: string; cause?: string }[];
  /**
   * The `.sync` integrations replaced by Pass states that this run went through: the request each
   * state built and the integration output made for it.
   */
  readonly standIns: readonly (StandIn & { request: unknown; output: unknown })[];
  /** The input the failure state received (its `$.error`), on the catch path. */
  readonly failureInput?: unknown;
  readonly history: readonly HistoryEvent[];
  /** What the real handlers returned for this data (queued as the Lambda results). */
  readonly plan: PlanOutput;
  readonly evaluation: EvaluateOutput;
  readonly definition: Record<string, unknown>;
  readonly stateMachineArn: string;
  /** The moto workarounds this run applied (moto-gaps.ts), with what each touched. */
  readonly workarounds: readonly Workaround[];
  readonly seconds: number;
}

export interface Workaround {
  readonly name: string;
  readonly gap: string;
  readonly detail?: string;
}

export interface RunOptions {
  /** Make this Lambda step fail (a Lambda function error) instead of returning its result. */
  readonly failStep?: StepHandler;
  /** Rows in the statistics partial the plan step reads (n). @default 2,000,000 */
  readonly rows?: number;
  /**
   * What the queued promote result says, so which end the run reaches: served (Done), kept
   * (KeptCurrentModel: registered Rejected) or awaiting approval (AwaitingApproval).
   * @default 'promoted'
   */
  readonly promotion?: 'promoted' | 'kept' | 'awaiting-approval';
  readonly log?: (line: string) => void;
}

/** The clients and moto_server of one run, with the resolved environment of each step function. */
export interface RunContext {
  readonly moto: MotoServer;
  readonly clients: MotoClients;
  readonly synthesized: SynthesizedTraining;
  readonly resources: EmulatedResources;
  readonly resolveContext: ResolveContext;
  /** Each step function's environment as deployed (intrinsics resolved). */
  readonly environments: Readonly<Record<StepHandler, Env>>;
  readonly curatedBucket: string;
  readonly modelsBucket: string;
}

export const silentLogger = () => new Logger({ serviceName: 'training-run', logLevel: 'SILENT' });

/** Builds the moto side of a run: config, buckets, step functions, resolved environments. */
async function prepare(
  moto: MotoServer,
  clients: MotoClients,
  synthesized: SynthesizedTraining,
  stateMachineName: string,
): Promise<RunContext> {
  await enableStateMachineExecution(clients);
  const resources = new EmulatedResources(stateMachineName);
  const resolveContext: ResolveContext = {
    env: { account: ACCOUNT, region: REGION },
    templates: synthesized.templates,
    physical: resources.physical,
  };
  const training = synthesized.templates[synthesized.trainingStack];

  // The step functions, on the simple backend (code: an empty handler; it never runs).
  const codeDir = mkdtempSync(join(tmpdir(), 'factory-step-'));
  writeFileSync(join(codeDir, 'index.js'), 'exports.handler = async () => ({});\n');
  const zip = zipDirectory(codeDir);
  rmSync(codeDir, { recursive: true, force: true });
  const { Role } = await clients.iam.send(
    new CreateRoleCommand({
      RoleName: 'training-steps',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const environments: Partial<Record<StepHandler, Env>> = {};
  for (const [logicalId, r] of Object.entries(training.Resources)) {
    const handler = stepOf(r);
    if (!handler) continue;
    const name = `${synthesized.engine}-${logicalId}`.slice(0, 64);
    const created = await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: Role!.Arn!,
        Code: { ZipFile: zip },
      }),
    );
    resources.functions.set(`${synthesized.trainingStack}/${logicalId}`, {
      name,
      arn: created.FunctionArn!,
      handler,
    });
  }
  for (const r of Object.values(training.Resources)) {
    const handler = stepOf(r);
    if (!handler) continue;
    const variables = (r.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ?? {};
    environments[handler] = resolve(variables, synthesized.trainingStack, resolveContext) as Env;
  }
  for (const handler of STEP_HANDLERS) {
    if (!environments[handler]) throw new Error(`the training stack has no ${handler} function`);
  }
  const curatedBucket = environments.plan!.CURATED_BUCKET!;
  const modelsBucket = environments.plan!.MODELS_BUCKET!;
  for (const bucket of new Set([curatedBucket, modelsBucket, ...resources.buckets.values()])) {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  // The training stack's Model Registry group, which promote registers into (moto-gaps.ts).
  await createModelPackageGroups(clients, training);
  return {
    moto,
    clients,
    synthesized,
    resources,
    resolveContext,
    environments: environments as Record<StepHandler, Env>,
    curatedBucket,
    modelsBucket,
  };
}

/** The definition exactly as Step Functions would receive it from the deployed stack. */
export function resolvedDefinition(ctx: RunContext): {
  logicalId: string;
  definition: Record<string, unknown>;
  roleArn: string;
} {
  const training = ctx.synthesized.templates[ctx.synthesized.trainingStack];
  const entry = Object.entries(training.Resources).find(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (!entry) throw new Error('the training stack declares no state machine');
  const [logicalId, machine] = entry;
  const text = resolve(
    machine.Properties?.DefinitionString,
    ctx.synthesized.trainingStack,
    ctx.resolveContext,
  );
  if (typeof text !== 'string') throw new Error('DefinitionString does not resolve to text');
  // Step Functions replaces ${name} with each DefinitionSubstitutions value.
  const substitutions = resolve(
    machine.Properties?.DefinitionSubstitutions ?? {},
    ctx.synthesized.trainingStack,
    ctx.resolveContext,
  ) as Record<string, string>;
  const definitionText = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) =>
    name in substitutions ? String(substitutions[name]) : whole,
  );
  const roleArn = resolve(
    machine.Properties?.RoleArn,
    ctx.synthesized.trainingStack,
    ctx.resolveContext,
  ) as string;
  return { logicalId, definition: JSON.parse(definitionText) as Record<string, unknown>, roleArn };
}

/**
 * A statistics partial as preprocess writes it (preprocess's own output for a small file), with
 * the counts the plan step sizes the run by set to `rows`: the plan reads whole partials.
 */
async function seedTrainingData(ctx: RunContext, rows: number): Promise<void> {
  const csv = new TextEncoder().encode(
    'ts,id,category,a,b,y\n2024-01-01,L1,A,1,2,3\n2024-01-02,L1,B,2,3,5\n',
  );
  const schema = { timestamp: 'ts', ids: ['id'], category: 'category', features: ['a', 'b'], target: 'y' };
  const partial = {
    ...(await preprocessBytes(csv, schema)).stats,
    rowsIn: rows + 10,
    rowsClean: rows + 5,
    rowsComplete: rows,
    bytesIn: rows * 90,
  };
  await ctx.clients.s3.send(
    new PutObjectCommand({
      Bucket: ctx.curatedBucket,
      Key: 'stats/production/line-001/v-1.json',
      Body: JSON.stringify(partial),
    }),
  );
}

/** A model the trainer's own code trains on synthetic production data (as the training job would). */
export async function trainCandidate(trainedAt: Date): Promise<ModelArtifact> {
  const bytes = Buffer.concat([...new SyntheticDataset({ rows: 2000, seed: 11 }).fileChunks(0)]);
  const { artifact } = await trainSources(
    [
      {
        key: 'train/production/line-001/v-1.csv',
        kind: 'raw',
        open: async function* () {
          yield bytes;
        },
      },
    ],
    { schema: DEFAULT_DATASET_SCHEMA, holdout: 0.2, fill: 'none', ridge: 0 },
    { codeVersion: 'emulated', capacity: { engine: 'local', instances: 1, shards: 1 }, trainedAt },
  );
  return artifact;
}

/** Where the training job writes the candidate. */
export async function putCandidate(
  ctx: RunContext,
  location: { bucket: string; key: string },
  artifact: ModelArtifact,
) {
  await ctx.clients.s3.send(
    new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: JSON.stringify(artifact) }),
  );
}

export function stepDeps<C>(ctx: RunContext, config: C) {
  return { s3: ctx.clients.s3, config, logger: silentLogger(), metrics: silentMetrics() };
}

/** The EventBridge event a scheduled start delivers as the execution input. */
function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: '2026-12-01T03:00:00Z',
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/training-schedule`],
    detail: {},
  };
}

async function history(ctx: RunContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * One execution of the synthesized state machine on a fresh moto_server (moto runs one execution
 * per server process reliably). `inspect` runs while moto is still up, to check the recorded
 * inputs against the real handlers with the same S3.
 */
export async function runTraining<T>(
  synthesized: SynthesizedTraining,
  options: RunOptions,
  inspect: (run: TrainingRun, ctx: RunContext) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const stateMachineName = `${synthesized.trainingStack}-Pipeline`;
  const moto = await startMoto();
  const clients = motoClients(moto.endpoint, REGION);
  try {
    const ctx = await prepare(moto, clients, synthesized, stateMachineName);
    const { definition, roleArn } = resolvedDefinition(ctx);
    const standIns = syncIntegrationsAsPassStates(
      definition as { States: Record<string, Record<string, unknown>> },
      { account: ACCOUNT, region: REGION },
    );
    const created = await ctx.clients.sfn.send(
      new CreateStateMachineCommand({
        name: stateMachineName,
        definition: JSON.stringify(definition),
        roleArn,
      }),
    );
    const stateMachineArn = created.stateMachineArn!;

    // What the real handlers return for this data, queued in the order the steps run.
    await seedTrainingData(ctx, options.rows ?? 2_000_000);
    const planConfig = readPlanConfig(ctx.environments.plan);
    const plan = await runPlan({ engine: synthesized.engine }, stepDeps(ctx, planConfig));
    const queued = { bucket: ctx.modelsBucket, key: 'training/queued-candidate/model.json' };
    await putCandidate(ctx, queued, await trainCandidate(new Date('2026-12-01T03:00:00Z')));
    const evaluation = await runEvaluate(
      { candidate: `s3://${queued.bucket}/${queued.key}` },
      stepDeps(ctx, readEvaluateConfig(ctx.environments.evaluate)),
    );
    const recordResult = { skipped: 'queued result: the emulated job is not described', jobName: 'emulated' };
    const promotion = options.promotion ?? 'promoted';
    const promoteResult = {
      version: evaluation.candidate.version,
      key: 'models/x/model.json',
      promoted: promotion === 'promoted',
      awaitingApproval: promotion === 'awaiting-approval',
      pointer: null,
      reason: 'queued',
    };
    const workarounds: Workaround[] = [
      ENABLE_STATE_MACHINE_EXECUTION,
      { ...SYNC_INTEGRATIONS_AS_PASS_STATES, detail: standIns.map((x) => x.state).join(', ') },
      CREATE_MODEL_PACKAGE_GROUPS,
      ...(options.failStep
        ? [{ ...FAIL_WITH_OVERSIZED_RESULT, detail: `the ${options.failStep} step` }]
        : []),
    ];
    const results: Record<StepHandler, unknown> = {
      plan,
      'record-job': recordResult,
      evaluate: evaluation,
      promote: promoteResult,
    };
    const order: StepHandler[] = ['plan', 'record-job', 'evaluate', 'promote'];
    const upTo = options.failStep ? order.indexOf(options.failStep) : order.length - 1;
    await queueLambdaResults(
      ctx.clients,
      order
        .slice(0, upTo + 1)
        .map((step) => (step === options.failStep ? FAILING_LAMBDA_RESULT : results[step])),
    );

    const executionName =
      `prove-${synthesized.engine}${options.failStep ? `-fail-${options.failStep}` : ''}` +
      (promotion === 'promoted' ? '' : `-${promotion}`);
    const { executionArn } = await ctx.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: executionName,
        input: JSON.stringify(scheduledEvent()),
      }),
    );
    log(`${executionName}: started on ${ctx.moto.endpoint}`);
    const deadline = Date.now() + 60_000;
    let described = await ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (described.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      described = await ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    const events = await history(ctx, executionArn!);
    const run = summarize(events, ctx, {
      engine: synthesized.engine,
      executionName,
      executionArn: executionArn!,
      status: described.status ?? 'UNKNOWN',
      error: described.error,
      cause: described.cause,
      output: described.output ? (JSON.parse(described.output) as unknown) : undefined,
      standIns,
      plan,
      evaluation,
      definition,
      stateMachineArn,
      workarounds,
      started,
    });
    return await inspect(run, ctx);
  } finally {
    clients.destroy();
    await moto.stop();
  }
}

function summarize(
  events: HistoryEvent[],
  ctx: RunContext,
  base: Omit<
    TrainingRun,
    'statesEntered' | 'lambdaInputs' | 'lambdaFailures' | 'history' | 'failureInput' | 'seconds' | 'standIns'
  > & {
    standIns: StandIn[];
    started: number;
  },
): TrainingRun {
  const byArn = new Map([...ctx.resources.functions.values()].map((f) => [f.arn, f.handler]));
  const statesEntered: string[] = [];
  const lambdaInputs: LambdaTaskInput[] = [];
  const lambdaFailures: { state: string; error?: string; cause?: string }[] = [];
  const standInRequests = new Map<string, unknown>();
  const standInOutputs = new Map<string, unknown>();
  let current = '';
  let failureInput: unknown;
  for (const e of events) {
    const entered = e.stateEnteredEventDetails;
    if (entered?.name) {
      current = entered.name;
      statesEntered.push(current);
      if (e.type === 'FailStateEntered') failureInput = JSON.parse(entered.input ?? 'null') as unknown;
    }
    const exited = e.stateExitedEventDetails;
    if (exited?.name && base.standIns.some((s) => s.state === exited.name)) {
      standInRequests.set(exited.name, (JSON.parse(exited.output ?? '{}') as { request?: unknown }).request);
    }
    const standIn = base.standIns.find((s) => `${s.state}.IntegrationOutput` === exited?.name);
    if (standIn) {
      standInOutputs.set(standIn.state, (JSON.parse(exited!.output ?? '{}') as { output?: unknown }).output);
    }
    const scheduled = e.lambdaFunctionScheduledEventDetails;
    if (scheduled) {
      const handler = byArn.get(scheduled.resource ?? '');
      if (!handler) throw new Error(`a Lambda task invoked ${scheduled.resource}, which is no step function`);
      lambdaInputs.push({ state: current, handler, input: JSON.parse(scheduled.input ?? 'null') as unknown });
    }
    const failed = e.lambdaFunctionFailedEventDetails;
    if (failed)
      lambdaFailures.push({ state: current, error: failed.error, cause: failed.cause?.slice(0, 200) });
  }
  const { started, standIns, ...rest } = base;
  return {
    ...rest,
    statesEntered,
    lambdaInputs,
    lambdaFailures,
    standIns: standIns
      .filter((s) => standInRequests.has(s.state))
      .map((s) => ({ ...s, request: standInRequests.get(s.state), output: standInOutputs.get(s.state) })),
    failureInput,
    history: events,
    seconds: (Date.now() - started) / 1000,
  };
}

/** What the monitoring stack's failed-run rule does with a run's status-change event, on moto's EventBridge. */
export interface StatusChangeDelivery {
  readonly ruleLogicalId: string;
  readonly eventPattern: Record<string, unknown>;
  /** The rule's original targets (before the queue stands in for them). */
  readonly targets: readonly { Arn: string; Id?: string }[];
  /** The alert text the rule's input transformer made, when the event matched. */
  readonly messages: readonly string[];
  readonly workaround: Workaround;
}

export async function deliverStatusChange(ctx: RunContext, run: TrainingRun): Promise<StatusChangeDelivery> {
  const monitoring = ctx.synthesized.templates[ctx.synthesized.monitoringStack];
  const entry = Object.entries(monitoring.Resources).find(
    ([, r]) =>
      r.Type === 'AWS::Events::Rule' &&
      ((r.Properties?.EventPattern as { source?: string[] } | undefined)?.source ?? []).includes(
        'aws.states',
      ),
  );
  if (!entry) throw new Error('the monitoring stack has no rule on Step Functions events');
  const [ruleLogicalId, rule] = entry;
  const resolved = resolve(rule.Properties, ctx.synthesized.monitoringStack, ctx.resolveContext) as {
    EventPattern: Record<string, unknown>;
    Targets: { Arn: string; Id: string; RoleArn?: string; InputTransformer?: Target['InputTransformer'] }[];
  };
  const { QueueUrl } = await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: 'training-alerts' }));
  const { Attributes } = await ctx.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await ctx.clients.events.send(
    new PutRuleCommand({ Name: ruleLogicalId, EventPattern: JSON.stringify(resolved.EventPattern) }),
  );
  await ctx.clients.events.send(
    new PutTargetsCommand({
      Rule: ruleLogicalId,
      Targets: ruleTargetsAsQueue(resolved.Targets, Attributes!.QueueArn!),
    }),
  );
  const described = await ctx.clients.sfn.send(
    new DescribeExecutionCommand({ executionArn: run.executionArn }),
  );
  await ctx.clients.events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'aws.states',
          DetailType: 'Step Functions Execution Status Change',
          Resources: [run.executionArn],
          Detail: JSON.stringify({
            executionArn: run.executionArn,
            stateMachineArn: run.stateMachineArn,
            name: run.executionName,
            status: described.status,
            startDate: described.startDate?.getTime(),
            stopDate: described.stopDate?.getTime() ?? null,
            input: described.input,
            output: described.output ?? null,
            error: described.error ?? null,
            cause: described.cause ?? null,
          }),
        },
      ],
    }),
  );
  const received = await ctx.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return {
    ruleLogicalId,
    eventPattern: resolved.EventPattern,
    targets: resolved.Targets.map((t) => ({ Arn: t.Arn, Id: t.Id })),
    messages: (received.Messages ?? []).map((m) => m.Body ?? ''),
    workaround: { ...STATUS_CHANGE_ON_A_QUEUE, detail: `rule ${ruleLogicalId}` },
  };
}
