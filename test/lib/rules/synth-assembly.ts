import { App } from 'aws-cdk-lib';
import { type Assembly, assemblyOf } from '../../../lib/rules/support/assembly';
import { type Finding, formatFinding } from '../../../lib/rules/support/finding';
import { CDK_JSON_CONTEXT } from '../../support/synth';

/**
 * Synthesizes the stacks `declare` adds to a fresh app with the feature flags of cdk.json (so
 * cross-stack references are the weak `Fn::GetStackOutput` kind the app produces), plus `context`.
 */
export function synthAssembly(declare: (app: App) => void, context: Record<string, unknown> = {}): Assembly {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  declare(app);
  return assemblyOf(app.synth());
}

/** Findings as the validation report prints them. */
export const messages = (findings: readonly Finding[]): string[] => findings.map(formatFinding);

/** Both kinds of cross-stack reference CDK writes: `Fn::GetStackOutput` and `Fn::ImportValue`. */
export const CROSS_STACK_REFERENCES = ['weak', 'strong'].map((mode) => ({
  mode,
  context: { '@aws-cdk/core:defaultCrossStackReferences': mode },
}));
