import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './trainer-hosts';

/** The version the trainer records in the model artifact: package version and git revision. */
export function codeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return `aiaas-factory@${pkg.version}${rev.status === 0 ? `+${rev.stdout.trim()}` : ''}`;
}
