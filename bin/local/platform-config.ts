import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromContext, type FactoryConfig } from '../../lib/config';
import { REPO_ROOT } from './trainer-hosts';

/** The platform config as `cdk synth` would read it (cdk.json's `factory` context over the defaults). */
export function platformConfig(): FactoryConfig {
  const path = join(REPO_ROOT, 'cdk.json');
  const context = existsSync(path)
    ? ((JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> }).context ?? {})
    : {};
  return configFromContext(context);
}
