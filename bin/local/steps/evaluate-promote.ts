import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageGroupCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { manualApprovalOf, type FactoryConfig } from '../../../lib/config';
import { MODELS_BUCKET_VARIABLE, readModelsStepConfig } from '../../../lambda/core/env/models-steps';
import { readRegistrySettings, registryEnvironment } from '../../../lambda/core/env/registry';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { APPROVAL, modelPackageGroupName, type RegistryRecord } from '../../../lambda/core/model-registry';
import type { ApprovalOutput } from '../../../lambda/handlers/approval';
import type { EvaluateOutput } from '../../../lambda/handlers/evaluate';
import type { PromoteOutput } from '../../../lambda/handlers/promote';
import type { HandlerDeps } from '../handler-deps';
import { approvalEvent } from '../moto-approval-events';
import type { RunClock } from '../run-clock';

export interface PromotedModel {
  readonly evaluation: EvaluateOutput;
  readonly promotion: PromoteOutput;
  /** The artifact at the promotion's key (the serving model). */
  readonly artifact: ModelArtifact;
  /** The candidate's package in the Model Registry (moto's SageMaker), as it ends the step. */
  readonly registry: RegistryRecord;
  /** Under manual approval: the approval the local run gives in place of a person, and what it did. */
  readonly approval?: ApprovalOutput;
}

/**
 * The evaluate and promote handlers on the candidate, then the artifact they leave at the promoted
 * key. The model package group is created first, as the training stack declares it. Under
 * `models.manualApproval` the local run approves the package itself, as a person would in the
 * console, and hands the approval handler the event moto does not emit.
 */
export async function evaluateAndPromote(
  clock: RunClock,
  s3: S3Client,
  deps: HandlerDeps,
  options: {
    readonly modelsBucket: string;
    readonly candidate: string;
    readonly config: Pick<FactoryConfig, 'prefix' | 'stage' | 'models'>;
  },
): Promise<PromotedModel> {
  const { modelsBucket, candidate, config } = options;
  const { runEvaluate } = await import('../../../lambda/handlers/evaluate');
  const { runPromote } = await import('../../../lambda/handlers/promote');
  const { runApproval } = await import('../../../lambda/handlers/approval');
  const { describePackage } = await import('../../../lambda/adapters/model-registry');
  const { sageMakerClient } = await import('../../../lambda/adapters/clients');
  const sagemaker = sageMakerClient();
  const group = modelPackageGroupName(config.prefix, config.stage);
  const env = {
    [MODELS_BUCKET_VARIABLE]: modelsBucket,
    ...registryEnvironment({ modelPackageGroup: group, manualApproval: manualApprovalOf(config) }),
  };
  await clock.step('registry', () =>
    sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: group,
        ModelPackageGroupDescription: `Every training run's candidate (${config.prefix} ${config.stage})`,
      }),
    ),
  );
  const evaluation: EvaluateOutput = await clock.step('evaluate', () =>
    runEvaluate({ candidate }, deps(readModelsStepConfig('evaluate', env))),
  );
  const promoteConfig = { ...readModelsStepConfig('promote', env), ...readRegistrySettings(env) };
  const promotion: PromoteOutput = await clock.step('promote', () =>
    runPromote(evaluation, { ...deps(promoteConfig), sagemaker }),
  );
  let approval: ApprovalOutput | undefined;
  if (promotion.awaitingApproval) {
    approval = await clock.step('approve', async () => {
      const pkg = await describePackage(sagemaker, promotion.registry.packageArn);
      await sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: pkg.packageArn,
          ModelApprovalStatus: APPROVAL.approved,
          ApprovalDescription: 'approved by the local run (npm start) in place of a person',
          CustomerMetadataProperties: pkg.metadata,
        }),
      );
      const approvalConfig = { ...deps(promoteConfig).config, serviceName: 'approval' };
      return runApproval(approvalEvent(await describePackage(sagemaker, pkg.packageArn)), {
        ...deps(approvalConfig),
        sagemaker,
      });
    });
  }
  const registry = await describePackage(sagemaker, promotion.registry.packageArn);
  clock.say(
    `evaluate: ${evaluation.better ? 'better' : 'not better'} (${evaluation.reason}); ` +
      `promote: ${promotion.promoted ? 'promoted' : 'kept'} → s3://${modelsBucket}/${promotion.key}`,
  );
  clock.say(
    `registry: model package ${registry.packageArn} (${group}, version ${registry.version ?? '?'}) is ${registry.status}` +
      (approval ? `; approved in place of a person: ${approval.action}` : ''),
  );
  const artifactRes = await s3.send(new GetObjectCommand({ Bucket: modelsBucket, Key: promotion.key }));
  const artifact = JSON.parse(await artifactRes.Body!.transformToString('utf-8')) as ModelArtifact;
  return {
    evaluation,
    promotion,
    artifact,
    registry: { ...promotion.registry, status: registry.status as RegistryRecord['status'] },
    ...(approval ? { approval } : {}),
  };
}
