import { ConfigError, configFromContext, parseConfig, resolveNetworkProfile } from '../../lib/config';

function problemsOf(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('config was accepted');
}

describe('config', () => {
  it('defaults make a bare synth work', () => {
    const config = parseConfig({});
    expect(config.stage).toBe('dev');
    expect(config.prefix).toBe('aiaas-factory');
    expect(config.dataset.features).toHaveLength(10);
    expect(config.training.engine).toBe('sagemaker');
    expect(config.serving.auth).toBe('iam');
    expect(config.network.natGateways).toBe(0);
  });

  it('gives dev the lean network and prod the isolated one unless network.profile says otherwise', () => {
    expect(resolveNetworkProfile(parseConfig({}))).toBe('lean');
    expect(resolveNetworkProfile(parseConfig({ stage: 'prod' }))).toBe('isolated');
    expect(resolveNetworkProfile(parseConfig({ network: { profile: 'isolated' } }))).toBe('isolated');
    expect(
      resolveNetworkProfile(
        parseConfig({ stage: 'prod', network: { profile: 'lean' }, security: { vpcEndpointOnly: false } }),
      ),
    ).toBe('lean');
  });

  it.each([
    [{ stage: 'staging' }, 'factory.stage: got "staging"; allowed: "dev" | "prod"'],
    [{ prefix: 'Bad_Prefix' }, 'factory.prefix: got "Bad_Prefix"; must be 3-20 characters'],
    [{ account: '123' }, 'factory.account: got "123"; must be a 12-digit AWS account id'],
    [{ region: 'mars-1' }, 'factory.region: got "mars-1"; must be an AWS region'],
    [{ retention: { rawInfrequentAccessDays: 10 } }, 'factory.retention.rawInfrequentAccessDays: got 10'],
    [
      { retention: { rawInfrequentAccessDays: 60, rawGlacierDays: 40 } },
      'factory.retention.rawGlacierDays: got 40; rawGlacierDays must be greater',
    ],
    [{ retention: { logDays: 10 } }, 'factory.retention.logDays: got 10; must be one of 1, 3, 5, 7, 14, 30'],
    [
      { dataset: { timestamp: 't', ids: [], category: 'c', features: [], target: 'y' } },
      'factory.dataset.features: got []',
    ],
    [
      { dataset: { timestamp: 't', ids: [], category: 'c', features: ['a', 'a'], target: 'y' } },
      'column "a" is named twice',
    ],
    [
      { dataset: { timestamp: 't', ids: [], category: 'c', features: [''], target: 'y' } },
      'factory.dataset.features.0: got ""; must be a non-empty column name',
    ],
    [{ preprocess: { maxObjectBytes: -1 } }, 'factory.preprocess.maxObjectBytes: got -1'],
    [{ preprocess: { reservedConcurrency: 0 } }, 'factory.preprocess.reservedConcurrency: got 0'],
    [{ training: { engine: 'gpu' } }, 'factory.training.engine: got "gpu"; allowed: "sagemaker" | "batch"'],
    [{ training: { rowsPerRun: 1.5 } }, 'factory.training.rowsPerRun: got 1.5; expected int'],
    [{ training: { deadlineSeconds: 0 } }, 'factory.training.deadlineSeconds: got 0'],
    [
      { training: { instanceType: 'm5.xlarge' } },
      'factory.training.instanceType: got "m5.xlarge"; must be a SageMaker instance type',
    ],
    [{ training: { batchInstanceTypes: [] } }, 'factory.training.batchInstanceTypes: got []'],
    [{ training: { maxInstances: 1000 } }, 'factory.training.maxInstances: got 1000'],
    [
      { training: { schedule: 'daily' } },
      'factory.training.schedule: got "daily"; must be an EventBridge schedule expression',
    ],
    [{ training: { fill: 'median' } }, 'factory.training.fill: got "median"; allowed: "none" | "mean"'],
    [{ training: { holdout: 0.9 } }, 'factory.training.holdout: got 0.9'],
    [{ training: { spot: 'yes' } }, 'factory.training.spot: got "yes"; expected boolean'],
    [{ serving: { auth: 'none' } }, 'factory.serving.auth: got "none"; allowed: "iam" | "cognito"'],
    [
      { serving: { fillMissing: 'zero' } },
      'factory.serving.fillMissing: got "zero"; allowed: "reject" | "mean"',
    ],
    [{ serving: { maxRows: 0 } }, 'factory.serving.maxRows: got 0'],
    [
      { network: { profile: 'isolated', maxAzs: 1 } },
      'factory.network.maxAzs: got 1; must be 2 or 3 with network.profile "isolated"',
    ],
    [{ stage: 'prod', network: { maxAzs: 1 } }, 'factory.network.maxAzs: got 1; must be 2 or 3'],
    [{ network: { maxAzs: 4 } }, 'factory.network.maxAzs: got 4'],
    [{ network: { profile: 'open' } }, 'factory.network.profile: got "open"; allowed: "lean" | "isolated"'],
    [
      { network: { profile: 'lean' }, security: { vpcEndpointOnly: true } },
      'factory.security.vpcEndpointOnly: got true; must be false with network.profile "lean"',
    ],
    [
      { stage: 'prod', network: { profile: 'lean' } },
      'factory.security.vpcEndpointOnly: got nothing; must be false',
    ],
    [{ alarmEmail: 'not-an-email' }, 'factory.alarmEmail: got "not-an-email"; must be an e-mail address'],
    [{ colour: 'blue' }, 'factory: unknown key "colour"'],
    [{ training: { engin: 'batch' } }, 'factory.training: unknown key "engin"'],
  ])('rejects %j naming the key, the value and what is allowed', (raw, message) => {
    expect(problemsOf(raw)).toContain(message);
  });

  it('reports every problem at once', () => {
    const message = problemsOf({ stage: 'qa', training: { engine: 'gpu' } });
    expect(message).toContain('factory.stage');
    expect(message).toContain('factory.training.engine');
  });

  it('reads a JSON string given with -c factory=...', () => {
    expect(configFromContext({ factory: '{"stage":"prod"}' }).stage).toBe('prod');
  });

  it('sets dotted keys such as -c factory.training.maxInstances=4 over the cdk.json object', () => {
    const config = configFromContext({
      factory: { stage: 'prod', training: { engine: 'batch' } },
      'factory.training.maxInstances': '4',
      'factory.prefix': 'plant-7',
    });
    expect(config.stage).toBe('prod');
    expect(config.training.engine).toBe('batch');
    expect(config.training.maxInstances).toBe(4);
    expect(config.prefix).toBe('plant-7');
  });

  it('takes -c factory.account=<12 digits> although the CLI hands it over as a number', () => {
    expect(configFromContext({ 'factory.account': '123456789012' }).account).toBe('123456789012');
    expect(configFromContext({ 'factory.account': '012345678901' }).account).toBe('012345678901');
    expect(() => configFromContext({ 'factory.account': '1234' })).toThrow(
      'factory.account: got 1234; must be a 12-digit AWS account id',
    );
  });

  it('rejects a factory context that is not an object', () => {
    expect(() => configFromContext({ factory: '[1,2]' })).toThrow(
      'factory: got [1,2]; allowed: a JSON object',
    );
    expect(() => configFromContext({ factory: '{oops' })).toThrow(
      'factory: got "{oops"; allowed: a JSON object',
    );
  });
});

describe('config: security and pipeline', () => {
  it('resolves secure defaults by stage', () => {
    const { resolveSecurity } = jest.requireActual('../../lib/config') as typeof import('../../lib/config');
    expect(resolveSecurity(parseConfig({ stage: 'prod' }))).toMatchObject({
      rawObjectLockDays: 365,
      vpcEndpointOnly: true,
      restrictKeyToPlatform: true,
      cloudTrailDataEvents: true,
    });
    expect(resolveSecurity(parseConfig({}))).toMatchObject({
      rawObjectLockDays: 0,
      vpcEndpointOnly: false,
      restrictKeyToPlatform: false,
    });
    expect(
      resolveSecurity(parseConfig({ stage: 'prod', security: { vpcEndpointOnly: false } })).vpcEndpointOnly,
    ).toBe(false);
  });

  it.each([
    [{ security: { rawObjectLockDays: -1 } }, 'factory.security.rawObjectLockDays: got -1'],
    [
      { security: { adminRoleArns: ['admin'] } },
      'factory.security.adminRoleArns.0: got "admin"; must be an IAM role ARN',
    ],
    [
      { pipeline: { enabled: true } },
      'factory.pipeline.repository: got nothing; required when pipeline.enabled is true',
    ],
    [
      { pipeline: { enabled: true, repository: 'acme/factory' } },
      'factory.pipeline.connectionArn: got nothing; required when pipeline.enabled is true',
    ],
    [
      { pipeline: { repository: 'not a repo' } },
      'factory.pipeline.repository: got "not a repo"; must be a GitHub repository: owner/name',
    ],
  ])('rejects %j naming the key', (raw, message) => {
    expect(problemsOf(raw)).toContain(message);
  });
});
