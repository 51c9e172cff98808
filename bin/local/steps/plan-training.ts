import type { FactoryConfig } from '../../../lib/config';
import { planEnvironment, PLAN_BUCKETS, readPlanConfig } from '../../../lambda/core/env/plan';
import { DEFAULT_METRICS_NAMESPACE } from '../../../lambda/core/env/vars';
import type { PlanOutput } from '../../../lambda/handlers/plan';
import type { HandlerDeps } from '../handler-deps';
import type { PlanOverrides } from '../pipeline-options';
import type { LocalBuckets } from '../pipeline-summary';
import type { RunClock } from '../run-clock';

/** The training state machine's first state: the plan handler (T = n/p) over the curated stats. */
export async function planTraining(
  clock: RunClock,
  deps: HandlerDeps,
  options: {
    readonly config: FactoryConfig;
    readonly buckets: LocalBuckets;
    readonly overrides?: PlanOverrides;
  },
): Promise<PlanOutput> {
  const { buckets } = options;
  const training = options.config.training;
  const planned = { ...options.overrides };
  const { runPlan } = await import('../../../lambda/handlers/plan');
  const planConfig = readPlanConfig({
    [PLAN_BUCKETS.curated]: buckets.curated,
    [PLAN_BUCKETS.models]: buckets.models,
    ...planEnvironment({
      engine: training.engine,
      instanceType: training.engine === 'sagemaker' ? training.instanceType : training.batchInstanceTypes[0],
      maxInstances: planned.maxInstances ?? training.maxInstances,
      deadlineSeconds: planned.deadlineSeconds ?? training.deadlineSeconds,
      startupSeconds: planned.startupSeconds ?? training.startupSeconds,
      secondsPerUnit: planned.secondsPerUnit ?? training.secondsPerUnit,
      serialSeconds: planned.serialSeconds ?? training.serialSeconds,
      fillMode: training.fill,
      task: training.task,
      metricsNamespace: DEFAULT_METRICS_NAMESPACE,
    }),
  });
  const plan = await clock.step('plan', () => runPlan({}, deps(planConfig)));
  clock.say(
    `plan: n = ${plan.n} rows, p = ${plan.p} × ${plan.instanceType}, T = ${plan.plannedSeconds.toFixed(1)} s` +
      `${plan.cost !== null ? `, $${plan.cost.toFixed(4)}` : ''}, ${plan.feasible ? 'feasible' : 'NOT feasible'}` +
      ` (deadline ${plan.deadlineSeconds} s)`,
  );
  return plan;
}
