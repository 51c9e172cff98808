import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromContext, type FactoryConfig } from '../../lib/config';
import { REPO_ROOT } from './trainer-hosts';

/** cdk.json's context, as `cdk synth` hands it to the app (empty without a cdk.json). */
export function cdkJsonContext(): Record<string, unknown> {
  const path = join(REPO_ROOT, 'cdk.json');
  return existsSync(path)
    ? ((JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> }).context ?? {})
    : {};
}

/** The platform config as `cdk synth` would read it (cdk.json's `factory` context over the defaults). */
export function platformConfig(): FactoryConfig {
  return configFromContext(cdkJsonContext());
}
