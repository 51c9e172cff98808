import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { formatPlan, parsePlanArgs, planJson, run, type PlanCliOptions } from '../../../bin/commands/plan';
import { plan } from '../../../lambda/core/planner';

const ROOT = join(__dirname, '..', '..', '..');

/** Runs the CLI from its source in a child process (slowish: a few cases only; test/bin/factory.test.ts runs the built one). */
function factory(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/factory.ts', ...args], {
      cwd: ROOT,
      env: process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the command in-process, capturing what it prints. */
async function runCaptured(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await run(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const overheads = ['--startup-seconds', '60', '--serial-seconds', '30', '--seconds-per-unit', '2'];

describe('parsePlanArgs', () => {
  test('reads every flag', () => {
    const parsed = parsePlanArgs([
      '--units',
      '1000',
      '--deadline',
      '5m',
      ...overheads,
      '--min-p',
      '2',
      '--max-p',
      '50',
      '--price-per-hour',
      '0.5',
      '--instance-type',
      'ml.m5.xlarge',
      '--json',
    ]);
    expect(parsed).toEqual({
      ok: true,
      help: false,
      options: {
        units: 1000,
        deadlineSeconds: 300,
        startupSeconds: 60,
        serialSeconds: 30,
        secondsPerUnit: 2,
        minP: 2,
        maxP: 50,
        pricePerHour: 0.5,
        instanceType: 'ml.m5.xlarge',
        json: true,
      },
    });
  });

  test('defaults make T = n/p', () => {
    expect(parsePlanArgs(['--units', '10', '--deadline', '90s'])).toEqual({
      ok: true,
      help: false,
      options: {
        units: 10,
        deadlineSeconds: 90,
        startupSeconds: 0,
        serialSeconds: 0,
        secondsPerUnit: 1,
        minP: 1,
        json: false,
      },
    });
  });

  test('accepts --flag=value and scientific notation for units', () => {
    const parsed = parsePlanArgs(['--units=1e6', '--deadline=2h']);
    expect(parsed).toMatchObject({ ok: true, options: { units: 1_000_000, deadlineSeconds: 7200 } });
  });

  test.each([
    [['--units', '-5', '--deadline', '100'], '--units'],
    [['--units', '0', '--deadline', '100'], '--units'],
    [['--units', 'NaN', '--deadline', '100'], '--units'],
    [['--units', '1.5', '--deadline', '100'], '--units'],
    [['--deadline', '100'], '--units'],
    [['--units', '10', '--deadline', 'soon'], '--deadline'],
    [['--units', '10', '--deadline', '0'], '--deadline'],
    [['--units', '10', '--deadline', '-1m'], '--deadline'],
    [['--units', '10'], '--deadline'],
    [['--units', '10', '--deadline', '10', '--instance-type', 'x9.huge'], '--instance-type'],
    [['--units', '10', '--deadline', '10', '--startup-seconds', '-1'], '--startup-seconds'],
    [['--units', '10', '--deadline', '10', '--serial-seconds', 'x'], '--serial-seconds'],
    [['--units', '10', '--deadline', '10', '--seconds-per-unit', '0'], '--seconds-per-unit'],
    [['--units', '10', '--deadline', '10', '--min-p', '0'], '--min-p'],
    [['--units', '10', '--deadline', '10', '--max-p', '2.5'], '--max-p'],
    [['--units', '10', '--deadline', '10', '--min-p', '5', '--max-p', '3'], '--min-p'],
    [['--units', '10', '--deadline', '10', '--price-per-hour', '-0.1'], '--price-per-hour'],
    [['--units', '10', '--deadline', '10', '--bogus'], '--bogus'],
    [['--units'], '--units'],
  ])('%j is rejected naming %s', (argv, flag) => {
    const parsed = parsePlanArgs(argv);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.message).toContain(flag);
  });

  test('--help asks for the usage', () => {
    expect(parsePlanArgs(['--help'])).toEqual({ ok: true, help: true });
  });
});

describe('run (in process)', () => {
  test('the table marks the chosen p and shows T, cost, speedup and efficiency', async () => {
    const { code, stdout } = await runCaptured([
      '--units',
      '1000',
      '--deadline',
      '300',
      ...overheads,
      '--instance-type',
      'ml.m5.xlarge',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^→\s+10\s+290\.000\s+4 min 50 s\s+0\.1853\s+7\.207\s+72\.1%\s+10$/m);
    expect(stdout).toMatch(/^\s+9\s+312\.222/m);
    expect(stdout).toContain('p = 10 meets the deadline: T = 290 s (4 min 50 s), cost $0.1853, 10 shards');
  });

  test('an infeasible table prints the best achievable T and returns 2', async () => {
    const { code, stdout } = await runCaptured([
      '--units',
      '1000',
      '--deadline',
      '300',
      ...overheads,
      '--max-p',
      '5',
    ]);
    expect(code).toBe(2);
    expect(stdout).toContain(
      'infeasible: best achievable T = 490 s (8 min 10 s) at p = 5, 190 s over the 300 s deadline; it needs p = 10',
    );
  });

  test('--json prints one object with p, seconds, cost and feasible', async () => {
    const { code, stdout } = await runCaptured([
      '--units',
      '1000',
      '--deadline',
      '100',
      '--price-per-hour',
      '3.6',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ p: 10, seconds: 100, cost: 1, feasible: true, shards: 10 });
  });

  test('invalid input returns 1 with a message naming the flag', async () => {
    const { code, stdout, stderr } = await runCaptured(['--units', '1.5', '--deadline', '100']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('plan: --units must be a whole number ≥ 1, got "1.5"');
  });
});

describe('formatting helpers', () => {
  const options: PlanCliOptions = {
    units: 1000,
    deadlineSeconds: 90,
    startupSeconds: 60,
    serialSeconds: 30,
    secondsPerUnit: 2,
    minP: 1,
    maxP: 8,
    json: false,
  };

  test('an overhead-bound plan says no p can meet it', () => {
    const result = plan({ ...options });
    expect(formatPlan(result, options)).toContain(
      'no p can meet it: t0 + s = 90 s already reach or pass the deadline',
    );
    expect(planJson(result, options)).toMatchObject({
      feasible: false,
      reason: 'overhead',
      requiredP: null,
      bestP: 8,
    });
  });
});

describe('factory plan (spawned)', () => {
  test('--units 1000 --deadline 100 --json gives p = 10, seconds = 100', async () => {
    const { code, stdout } = await factory(['plan', '--units', '1000', '--deadline', '100', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ p: 10, seconds: 100, feasible: true, cost: null });
  });

  test('--units 1001 gives p = 11', async () => {
    const { code, stdout } = await factory(['plan', '--units', '1001', '--deadline', '100', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ p: 11 });
  });

  test('with overheads p = 10 in 290 s; capped at 5 it is infeasible at 490 s and exits 2', async () => {
    const ok = await factory(['plan', '--units', '1000', '--deadline', '300', ...overheads, '--json']);
    expect([ok.code, JSON.parse(ok.stdout)]).toEqual([0, expect.objectContaining({ p: 10, seconds: 290 })]);
    const capped = await factory([
      'plan',
      '--units',
      '1000',
      '--deadline',
      '300',
      ...overheads,
      '--max-p',
      '5',
      '--json',
    ]);
    expect(capped.code).toBe(2);
    expect(JSON.parse(capped.stdout)).toMatchObject({
      feasible: false,
      p: 5,
      seconds: 490,
      bestSeconds: 490,
      bestP: 5,
    });
  });

  test('--units -5 exits 1 naming --units', async () => {
    const { code, stderr } = await factory(['plan', '--units', '-5', '--deadline', '100']);
    expect(code).toBe(1);
    expect(stderr).toContain('--units must be a whole number ≥ 1, got "-5"');
  });
});
