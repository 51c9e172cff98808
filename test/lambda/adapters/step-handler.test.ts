import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { lambdaContext } from '../../../bin/local/lambda-context';
import { s3Client } from '../../../lambda/adapters/clients';
import type { ServiceConfig } from '../../../lambda/core/env/vars';
import { stepHandler, type StepDeps } from '../../../lambda/adapters/step-handler';
import { ConfigError } from '../../../lambda/core/errors';

interface TestConfig extends ServiceConfig {
  readonly bucket: string;
}

const CONFIG: TestConfig = { bucket: 'models', serviceName: 'step-service', metricsNamespace: 'Plant' };

/** JSON log lines Powertools writes (to stdout or stderr) while `act` runs. */
async function logsOf<T>(act: () => Promise<T>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    lines.push(...String(chunk).split('\n'));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const saved = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  try {
    await act().catch(() => undefined);
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = saved;
  }
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const context = lambdaContext({ functionName: 'plan-fn', requestId: 'request-1', memoryMiB: 256 });

describe('stepHandler', () => {
  test('reads the configuration once and runs every invocation with the same clients', async () => {
    const readConfig = jest.fn(() => CONFIG);
    const seen: StepDeps<TestConfig>[] = [];
    const handler = stepHandler(
      'plan',
      readConfig,
      async (event: { n: number }, deps: StepDeps<TestConfig>) => {
        seen.push(deps);
        return event.n * 2;
      },
    );

    await expect(handler({ n: 1 })).resolves.toBe(2);
    await expect(handler({ n: 2 })).resolves.toBe(4);

    expect(readConfig).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[0].config).toBe(CONFIG);
    expect(seen[0].s3).toBe(s3Client());
    expect(seen[0].logger).toBeInstanceOf(Logger);
    expect(seen[0].metrics).toBeInstanceOf(Metrics);
  });

  test('logs under the configured service name with the Lambda context of the invocation', async () => {
    const handler = stepHandler(
      'plan',
      () => CONFIG,
      async (_event: unknown, deps: StepDeps<TestConfig>) => {
        deps.logger.info('stepped');
      },
    );

    const logs = await logsOf(() => handler({}, context));

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      message: 'stepped',
      service: 'step-service',
      function_request_id: 'request-1',
      function_name: 'plan-fn',
    });
  });

  test('a misconfiguration is logged under the step name, rethrown as is, and read again next time', async () => {
    const error = new ConfigError(
      'MODELS_BUCKET',
      'MODELS_BUCKET is not set: the models bucket name is required',
    );
    const readConfig = jest.fn<TestConfig, []>().mockImplementationOnce(() => {
      throw error;
    });
    readConfig.mockImplementation(() => CONFIG);
    const run = jest.fn(async () => 'ran');
    const handler = stepHandler('promote', readConfig, run);

    let thrown: unknown;
    const logs = await logsOf(() =>
      handler({}).catch((e: unknown) => {
        thrown = e;
        throw e;
      }),
    );

    expect(thrown).toBe(error);
    expect(run).not.toHaveBeenCalled();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'ERROR',
      message: 'promote handler misconfigured',
      service: 'promote',
      error: {
        code: 'config_invalid',
        message: 'MODELS_BUCKET is not set: the models bucket name is required',
      },
    });
    await expect(handler({})).resolves.toBe('ran');
    expect(readConfig).toHaveBeenCalledTimes(2);
  });
});
