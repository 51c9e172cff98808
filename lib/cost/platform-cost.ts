/**
 * The cost estimate of a configuration: the platform synthesized in-process (no bundling and no
 * policy packs: the templates are what is priced), its templates priced by lib/cost/estimate.ts,
 * the training run at the plan the training stack sized, the predictions at the predict
 * function's memory. `factory cost` prints it; the dashboard shows its training and serving figures.
 */
import { App, type CfnResource } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { resolveNetworkProfile, type FactoryConfig } from '../config';
import { createPlatform, type Platform } from '../platform';
import { DRIFT_MEMORY_MIB, DRIFT_TIMEOUT_SECONDS } from '../../lambda/core/function-sizes';
import {
  driftStepCost,
  idleCost,
  millionPredictionsCost,
  PRICE_TABLE,
  predictionsInputOf,
  sum,
  trainingRunCost,
  type CostItem,
  type CostLine,
  type StackTemplate,
  type TrainingRunInput,
} from './estimate';

export interface CostEstimate {
  readonly stage: FactoryConfig['stage'];
  readonly networkProfile: string;
  readonly engine: FactoryConfig['training']['engine'];
  /** The region the prices are for, the date of the table, and a warning when it is not the deployment's. */
  readonly prices: { readonly region: string; readonly date: string; readonly warning?: string };
  readonly idleMonthlyUsd: number;
  readonly perTrainingRunUsd: number;
  readonly perMillionPredictionsUsd: number;
  readonly predictionsPerUsd: number;
  readonly items: readonly CostItem[];
  readonly perTrainingRun: readonly CostLine[];
  readonly perMillionPredictions: readonly CostLine[];
  readonly unpriced: readonly string[];
}

/** The stacks of an assembly as the estimator reads them. */
export function templatesOf(assembly: CloudAssembly): StackTemplate[] {
  return assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    resources: (stack.template as { Resources?: StackTemplate['resources'] }).Resources ?? {},
  }));
}

/** The training run the synthesized state machine makes, at the plan the training stack sized. */
export function trainingRunOf(
  platform: Platform,
  config: FactoryConfig,
  templates: StackTemplate[],
): TrainingRunInput {
  const onSageMaker = config.training.engine === 'sagemaker';
  const capacity = onSageMaker ? platform.training.sageMakerCapacity : platform.training.batchCapacity;
  const training = templates.find((t) => t.stackName === platform.training.stackName)!;
  const resources = Object.values(training.resources);
  const definition = resources.find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  // Every state of the definition once: an upper bound, since a run takes one branch per choice.
  const states = (JSON.stringify(definition?.Properties?.DefinitionString ?? '').match(/\\"Type\\":/g) ?? [])
    .length;
  const steps = resources
    .filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    )
    .map((r) => ({ memoryMiB: r.Properties.MemorySize ?? 128, seconds: r.Properties.Timeout ?? 3 }));
  return {
    engine: config.training.engine,
    instanceType: capacity.instanceFacts.instanceType,
    instances: capacity.p,
    plannedSeconds: capacity.plannedSeconds,
    pricePerHour: capacity.pricePerHour,
    stateTransitions: states,
    steps,
  };
}

/** Prices a synthesized platform. */
export function estimatePlatform(
  platform: Platform,
  config: FactoryConfig,
  assembly: CloudAssembly,
): CostEstimate {
  const templates = templatesOf(assembly);
  // The drift step is priced from its schedule and the dataset, not its template alone.
  const monitoring = templates.find((t) => t.stackName === platform.monitoring.stackName)!;
  const driftId = monitoring.resources[
    platform.monitoring.getLogicalId(platform.monitoring.driftFunction.node.defaultChild as CfnResource)
  ]
    ? platform.monitoring.getLogicalId(platform.monitoring.driftFunction.node.defaultChild as CfnResource)
    : undefined;
  const idle = idleCost(
    templates,
    driftId
      ? {
          [`${monitoring.stackName}/${driftId}`]: driftStepCost({
            windowHours: config.monitoring.driftWindowHours,
            memoryMiB: DRIFT_MEMORY_MIB,
            timeoutSeconds: DRIFT_TIMEOUT_SECONDS,
            features: config.dataset.features.length,
          }),
        }
      : {},
  );
  const perTrainingRun = trainingRunCost(trainingRunOf(platform, config, templates));
  const serving = templates.find((t) => t.stackName === platform.serving.stackName)!;
  const resources = Object.values(serving.resources);
  const predict = resources.find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'predict',
  );
  const perMillionPredictions = millionPredictionsCost(
    predictionsInputOf(config, predict?.Properties?.MemorySize ?? 128, {
      waf: templates.some((t) => Object.values(t.resources).some((r) => r.Type === 'AWS::WAFv2::WebACL')),
      tracing: predict?.Properties?.TracingConfig?.Mode === 'Active',
    }),
  );
  const perMillion = sum(perMillionPredictions);
  const region = config.region ?? process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION;
  const warning =
    region === undefined
      ? `no region configured: ${PRICE_TABLE.region} list prices`
      : region !== PRICE_TABLE.region
        ? `no price table for ${region}: ${PRICE_TABLE.region} list prices shown, ${region} may differ`
        : undefined;
  return {
    stage: config.stage,
    networkProfile: resolveNetworkProfile(config),
    engine: config.training.engine,
    prices: { region: PRICE_TABLE.region, date: PRICE_TABLE.date, ...(warning ? { warning } : {}) },
    idleMonthlyUsd: idle.monthlyUsd,
    perTrainingRunUsd: sum(perTrainingRun),
    perMillionPredictionsUsd: perMillion,
    predictionsPerUsd: Math.floor(1e6 / perMillion),
    items: idle.items,
    perTrainingRun,
    perMillionPredictions,
    unpriced: idle.unpriced,
  };
}

/** Synthesizes the platform of a config (templates only) and prices it. */
export function estimateConfig(context: Record<string, unknown>, config: FactoryConfig): CostEstimate {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const platform = createPlatform(app, config);
  return estimatePlatform(platform, config, app.synth());
}
