import { lambdaEntry } from '../../../lambda/adapters/lambda-entry';
import type { ServiceConfig } from '../../../lambda/core/env/vars';
import { ConfigError } from '../../../lambda/core/errors';

const CONFIG: ServiceConfig = { serviceName: 'svc', metricsNamespace: 'Test' };

describe('lambdaEntry', () => {
  const silence = () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return () => {
      out.mockRestore();
      err.mockRestore();
    };
  };

  test('builds the handler once, on the first invocation, not at import', async () => {
    const readConfig = jest.fn(() => CONFIG);
    const create = jest.fn(() => async (event: number) => event + 1);
    const handler = lambdaEntry({ name: 'x', readConfig, create, env: {} });
    expect(readConfig).not.toHaveBeenCalled();
    await expect(handler(1)).resolves.toBe(2);
    await expect(handler(2)).resolves.toBe(3);
    expect(readConfig).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledTimes(1);
  });

  test('answers a bad environment with `misconfigured` and reads it again on the next invocation', async () => {
    const restore = silence();
    const error = new ConfigError(
      'MODELS_BUCKET',
      'MODELS_BUCKET is not set: the models bucket name is required',
    );
    const readConfig = jest
      .fn<ServiceConfig, []>()
      .mockImplementationOnce(() => {
        throw error;
      })
      .mockImplementation(() => CONFIG);
    const handler = lambdaEntry({
      name: 'predict',
      readConfig,
      create: () => async () => 'served',
      misconfigured: (e) => `refused: ${(e as ConfigError).variable}`,
    });
    try {
      await expect(handler({})).resolves.toBe('refused: MODELS_BUCKET');
      await expect(handler({})).resolves.toBe('served');
    } finally {
      restore();
    }
    expect(readConfig).toHaveBeenCalledTimes(2);
  });

  // Every deployed entry (record-job.ts is the shared module of the two record-job entries).
  test.each([
    'preprocess',
    'plan',
    'evaluate',
    'promote',
    'record-job-sagemaker',
    'record-job-batch',
    'predict',
  ])('the %s handler module imports without its environment', async (name) => {
    const saved = { ...process.env };
    for (const key of ['CURATED_BUCKET', 'MODELS_BUCKET', 'DATASET_SCHEMA', 'MAX_OBJECT_BYTES'])
      delete process.env[key];
    try {
      await jest.isolateModulesAsync(async () => {
        const mod = (await import(`../../../lambda/handlers/${name}`)) as { handler: unknown };
        expect(typeof mod.handler).toBe('function');
      });
    } finally {
      process.env = saved;
    }
  });
});
