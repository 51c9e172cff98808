import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { configFromContext, type FactoryConfig } from '../../lib/config';
import { createPlatform, type Platform } from '../../lib/platform';

/** The feature flags and context of cdk.json, so tests synthesize what `cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/**
 * A fresh app with the platform declared from `factory` context overrides (no policy plugins).
 * Lambda bundling is skipped (empty `bundling-stacks`): these tests read templates, not bundles,
 * and asset hashes are normalised in snapshots anyway.
 */
export function platform(overrides: Record<string, unknown> = {}): {
  app: App;
  config: FactoryConfig;
  stacks: Platform;
} {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, factory: overrides, 'aws:cdk:bundling-stacks': [] },
  });
  const config = configFromContext(app.node.getAllContext());
  return { app, config, stacks: createPlatform(app, config) };
}

/** Template JSON with asset hashes and bundling-dependent values normalised for snapshots. */
export function snapshotOf(template: Template): unknown {
  const text = JSON.stringify(template.toJSON())
    .replace(/[0-9a-f]{64}(\.(zip|json))?/g, '<asset-hash>$1')
    .replace(/"S3Key":"[^"]+"/g, '"S3Key":"<asset>"');
  return JSON.parse(text);
}
