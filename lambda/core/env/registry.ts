/**
 * The environment of the steps that use the Model Registry (promote, approval): the deployment's
 * model package group and whether a person approves each better candidate. Written by the
 * training stack (`registryEnvironment`), read by the handlers (`readRegistrySettings`).
 */
import { oneOf, requiredString, type Env } from './vars';

export const REGISTRY_VARIABLES = {
  group: 'MODEL_PACKAGE_GROUP',
  manualApproval: 'MANUAL_APPROVAL',
} as const;

export interface RegistrySettings {
  /** MODEL_PACKAGE_GROUP (required): the group every candidate is registered in. */
  readonly modelPackageGroup: string;
  /** MANUAL_APPROVAL ('true' | 'false', required): a better candidate waits for a person's approval. */
  readonly manualApproval: boolean;
}

export function readRegistrySettings(env: Env): RegistrySettings {
  return {
    modelPackageGroup: requiredString(env, REGISTRY_VARIABLES.group, 'the model package group name'),
    manualApproval: oneOf(env, REGISTRY_VARIABLES.manualApproval, ['true', 'false'] as const) === 'true',
  };
}

export function registryEnvironment(settings: RegistrySettings): Record<string, string> {
  return {
    [REGISTRY_VARIABLES.group]: settings.modelPackageGroup,
    [REGISTRY_VARIABLES.manualApproval]: String(settings.manualApproval),
  };
}
