/**
 * The GitHub Actions workflows, checked offline.
 *
 * actionlint is the usual checker, but Debian (bookworm, this machine's and CI's distribution) has
 * no actionlint package and nothing can be downloaded from outside the npm and Debian registries.
 * So every workflow is parsed with `yaml` (strict: duplicate keys and syntax errors fail) and
 * validated against the published workflow JSON schema by @action-validator/core (its schema
 * check, compiled to WebAssembly). On top of that, the properties that matter are asserted here:
 * OIDC and no long-lived keys, least-privilege permissions, prod behind the `production`
 * environment after dev, every action pinned to a commit, and CI running what .ci/run runs.
 */
import { validateWorkflow, type ValidationError } from '@action-validator/core';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
}

interface Job {
  readonly name?: string;
  readonly if?: string;
  readonly needs?: string | string[];
  readonly environment?: string | { name: string; url?: string };
  readonly permissions?: Record<string, string> | string;
  readonly concurrency?: { group: string; 'cancel-in-progress'?: boolean | string } | string;
  readonly 'timeout-minutes'?: number;
  readonly 'runs-on'?: string;
  readonly steps: Step[];
}

interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort();
const text = (file: string) => readFileSync(join(WORKFLOWS, file), 'utf8');

function parse(file: string): Workflow {
  const doc = parseDocument(text(file), { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as Workflow;
}

/** Every validation error, nested ones flattened, as "path: title (detail)". */
function describeErrors(errors: readonly ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const here = `${'path' in e ? e.path : ''}: ${e.title}${e.detail ? ` (${e.detail})` : ''}`;
    const nested = 'states' in e && e.states ? e.states.flatMap((s) => describeErrors(s.errors)) : [];
    return [here, ...nested];
  });
}

const stepsOf = (job: Job) => job.steps ?? [];
const runsOf = (job: Job) => stepsOf(job).flatMap((s) => (s.run ? [s.run] : []));
const actionOf = (uses: string) => uses.split('@')[0];
const environmentName = (job: Job) =>
  typeof job.environment === 'string' ? job.environment : job.environment?.name;
const needsOf = (job: Job) => (job.needs === undefined ? [] : [job.needs].flat());
const credentialSteps = (job: Job) =>
  stepsOf(job).filter((s) => s.uses && actionOf(s.uses) === 'aws-actions/configure-aws-credentials');
const deployJobs = (wf: Workflow) =>
  Object.entries(wf.jobs).filter(([, job]) => runsOf(job).some((r) => /\bcdk deploy\b/.test(r)));

/** The actions the workflows may use, each pinned to one commit (release in the line's comment). */
const PINS: Record<string, { sha: string; release: string }> = {
  'actions/checkout': { sha: '11bd71901bbe5b1630ceea73d27597364c9af683', release: 'v4.2.2' },
  'actions/setup-node': { sha: '49933ea5288caeca8642d1e84afbd3f7d6820020', release: 'v4.4.0' },
  'actions/upload-artifact': { sha: 'ea165f8d65b6e75b540449e92b4886f43607fa02', release: 'v4.6.2' },
  'aws-actions/configure-aws-credentials': {
    sha: 'e3dd6a429d7300a6a4c196c26e071d42e0343502',
    release: 'v4.0.2',
  },
};

/** The commands .ci/run runs after its installs, in its order; CI must run the same. */
const CI_COMMANDS = [
  'npm ci --no-audit --no-fund',
  'npm run -s build',
  'npm run -s lint',
  'npm test -- --ci',
  'npx cdk synth --quiet',
  'cfn-lint cdk.out/*.template.json',
  'require("./cdk.out/validation-report.json")',
];

describe('every workflow file', () => {
  test('there are the CI and deploy workflows', () => {
    expect(files).toEqual(['ci.yml', 'deploy.yml']);
  });

  test.each(files)('%s parses as strict YAML (no duplicate keys)', (file) => {
    expect(() => parse(file)).not.toThrow();
  });

  test.each(files)('%s validates against the workflow schema with zero errors', (file) => {
    const result = validateWorkflow(text(file));
    expect(result.actionType).toBe('workflow');
    expect(describeErrors(result.errors)).toEqual([]);
  });

  test('the schema check is not vacuous: a job without runs-on is an error', () => {
    const broken = 'on: push\njobs:\n  a:\n    steps:\n      - run: echo hi\n';
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  test.each(files)('%s holds no long-lived AWS keys and no secrets at all', (file) => {
    const source = text(file);
    expect(source).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/i);
    expect(source).not.toMatch(/aws-access-key-id|aws-secret-access-key/i);
    expect(source).not.toMatch(/\bsecrets\./);
  });

  test.each(files)('%s pins every action to a full commit SHA with its release in a comment', (file) => {
    const lines = text(file)
      .split('\n')
      .filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const match = /uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40})\s+#\s*(v\d+\.\d+\.\d+)\s*$/.exec(line);
      expect({ line, pinned: match !== null }).toEqual({ line, pinned: true });
      const [, action, sha, release] = match!;
      expect({ action, sha, release }).toEqual({ action, ...PINS[action] });
    }
  });

  test.each(files)('%s gives every job explicit permissions, a timeout and a fixed runner image', (file) => {
    for (const [id, job] of Object.entries(parse(file).jobs)) {
      expect({ id, permissions: typeof job.permissions }).toEqual({ id, permissions: 'object' });
      expect({ id, timeout: job['timeout-minutes'] }).toEqual({ id, timeout: expect.any(Number) });
      expect(job['timeout-minutes']).toBeLessThanOrEqual(60);
      expect({ id, runner: job['runs-on'] }).toEqual({ id, runner: 'ubuntu-24.04' });
    }
  });

  test.each(files)('%s grants id-token: write only to jobs that assume an AWS role through OIDC', (file) => {
    for (const [id, job] of Object.entries(parse(file).jobs)) {
      const permissions = job.permissions as Record<string, string>;
      const assumesRole = credentialSteps(job).length > 0;
      expect({ id, idToken: permissions['id-token'] }).toEqual({
        id,
        idToken: assumesRole ? 'write' : undefined,
      });
      // Nothing beyond reading the repository and asking for the OIDC token.
      expect({
        id,
        extra: Object.keys(permissions).filter((k) => k !== 'contents' && k !== 'id-token'),
      }).toEqual({
        id,
        extra: [],
      });
      expect(permissions.contents).toBe('read');
    }
  });

  test.each(files)('%s checks out without persisting the token', (file) => {
    for (const job of Object.values(parse(file).jobs)) {
      for (const step of stepsOf(job).filter((s) => s.uses?.startsWith('actions/checkout@'))) {
        expect(step.with?.['persist-credentials']).toBe(false);
      }
    }
  });
});

describe('ci.yml', () => {
  const ci = parse('ci.yml');
  const check = ci.jobs.check;
  const diff = ci.jobs.diff;

  test('runs on pull requests and on pushes to main, reading the repository only by default', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.on.push).toEqual({ branches: ['main'] });
    expect(ci.permissions).toEqual({ contents: 'read' });
  });

  test('the check job has no AWS credentials and synth skips the CDK version check', () => {
    expect(credentialSteps(check)).toEqual([]);
    expect(check.permissions).toEqual({ contents: 'read' });
    expect(ci.env?.CDK_DISABLE_VERSION_CHECK).toBe('1');
  });

  test('sets up Node 20 with the npm cache', () => {
    const setup = stepsOf(check).find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with).toEqual({ 'node-version': 20, cache: 'npm' });
  });

  test("installs the distribution's pandas and scikit-learn, moto_server and cfn-lint before npm ci", () => {
    const runs = runsOf(check).join('\n');
    expect(runs).toMatch(/apt-get install [^\n]*python3-pandas python3-sklearn/);
    expect(runs).toContain('/usr/bin/python3 -c');
    expect(runs).toMatch(/pip" install [^\n]*"moto\[server\]==[\d.]+" "cfn-lint==[\d.]+"/);
    expect(runs.indexOf('apt-get install')).toBeLessThan(runs.indexOf('npm ci'));
    expect(runs.indexOf('cfn-lint==')).toBeLessThan(runs.indexOf('npm ci'));
  });

  test('runs the same commands as .ci/run, in the same order', () => {
    const local = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const workflow = runsOf(check).join('\n');
    for (const command of CI_COMMANDS) {
      expect({ command, inCiRun: local.includes(command) }).toEqual({ command, inCiRun: true });
      expect({ command, inWorkflow: workflow.includes(command) }).toEqual({ command, inWorkflow: true });
    }
    const order = (source: string) => [...CI_COMMANDS].sort((a, b) => source.indexOf(a) - source.indexOf(b));
    expect(order(workflow)).toEqual(CI_COMMANDS);
    expect(order(local)).toEqual(CI_COMMANDS);
  });

  test('uploads cdk.out as an artifact, also when a later check failed', () => {
    const upload = stepsOf(check).find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: 'cdk.out', path: 'cdk.out/' });
    expect(upload?.if).toBe('${{ !cancelled() }}');
  });

  test('diffs against dev on pull requests from this repository only, after the checks pass', () => {
    expect(diff.if).toContain("github.event_name == 'pull_request'");
    expect(diff.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(needsOf(diff)).toEqual(['check']);
  });

  test('the diff assumes the read-only diff role through OIDC', () => {
    expect(diff.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const [credentials] = credentialSteps(diff);
    expect(credentials.with).toMatchObject({
      'role-to-assume': '${{ vars.AWS_DIFF_ROLE_ARN }}',
      'aws-region': '${{ vars.AWS_REGION }}',
    });
  });

  test('the diff compares templates only (no change set) and posts the diff as the job summary', () => {
    const run = runsOf(diff).find((r) => r.includes('cdk diff'))!;
    expect(run).toContain('npx cdk diff --all --method template');
    expect(run).toContain('-c factory.stage=dev');
    expect(run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(run).toContain('set -o pipefail');
  });
});

describe('deploy.yml', () => {
  const deploy = parse('deploy.yml');
  const { dev, prod } = deploy.jobs;

  test('runs after CI completes on main and grants nothing at workflow level', () => {
    expect(deploy.on).toEqual({
      workflow_run: { workflows: ['CI'], types: ['completed'], branches: ['main'] },
    });
    expect(deploy.permissions).toEqual({});
    // The workflow_run trigger names the CI workflow by its name.
    expect(parse('ci.yml').name).toBe('CI');
  });

  test('deploys only a CI run that passed on a push to main', () => {
    expect(dev.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(dev.if).toContain("github.event.workflow_run.event == 'push'");
    expect(dev.if).toContain("github.event.workflow_run.head_branch == 'main'");
  });

  test('both stages deploy the commit CI tested', () => {
    for (const job of [dev, prod]) {
      const checkout = stepsOf(job).find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.ref).toBe('${{ github.event.workflow_run.head_sha }}');
    }
  });

  test('dev deploys every stack with the dev stage and no approval prompt', () => {
    expect(runsOf(dev)).toContain('npx cdk deploy --all --require-approval never -c factory.stage=dev');
    expect(environmentName(dev)).toBe('dev');
  });

  test('prod needs dev and runs in the production environment (its required reviewers approve)', () => {
    expect(needsOf(prod)).toEqual(['dev']);
    expect(environmentName(prod)).toBe('production');
    expect(runsOf(prod)).toContain('npx cdk deploy --all --require-approval never -c factory.stage=prod');
  });

  test('the only jobs that deploy are dev and prod, and only prod is in production', () => {
    expect(deployJobs(deploy).map(([id]) => id)).toEqual(['dev', 'prod']);
    for (const [id, job] of Object.entries(deploy.jobs)) {
      if (id !== 'prod') expect(environmentName(job)).not.toBe('production');
    }
  });

  test('every deploy job assumes the deploy role through OIDC with no long-lived keys', () => {
    for (const [id, job] of deployJobs(deploy)) {
      expect({ id, permissions: job.permissions }).toEqual({
        id,
        permissions: { contents: 'read', 'id-token': 'write' },
      });
      const credentials = credentialSteps(job);
      expect(credentials).toHaveLength(1);
      expect(credentials[0].with).toEqual({
        'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
        'aws-region': '${{ vars.AWS_REGION }}',
        'role-session-name': expect.stringMatching(/^deploy-/),
      });
      // Credentials come before the deploy.
      const steps = stepsOf(job);
      const credentialsAt = steps.findIndex((s) => s === credentials[0]);
      const deployAt = steps.findIndex((s) => s.run?.includes('cdk deploy'));
      expect(credentialsAt).toBeLessThan(deployAt);
    }
  });

  test('two deploys of a stage never overlap and a running deploy is never cancelled', () => {
    const groups = deployJobs(deploy).map(([, job]) => {
      expect(typeof job.concurrency).toBe('object');
      const concurrency = job.concurrency as { group: string; 'cancel-in-progress'?: boolean };
      expect(concurrency['cancel-in-progress']).toBe(false);
      // A fixed group name: one per stage across all runs, whatever commit or ref started them.
      expect(concurrency.group).not.toContain('${{');
      return concurrency.group;
    });
    expect(groups).toEqual(['deploy-dev', 'deploy-prod']);
  });
});
