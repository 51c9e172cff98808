import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configKeys } from '../../lib/config';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration key of the zod schema, and no other', () => {
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Deploy for real'));
    const documented = [...section.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual(configKeys().sort());
  });

  it('keeps the Quickstart to exactly the two commands', () => {
    const quickstart = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('`npm start` starts'));
    const commands = [...quickstart.matchAll(/^npm ci && (npm \w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['npm start', 'npm test']);
  });

  it('has a Mermaid architecture diagram', () => {
    expect(readme).toMatch(/```mermaid\nflowchart/);
  });
});
