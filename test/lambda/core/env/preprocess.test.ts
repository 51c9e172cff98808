import { readPreprocessConfig } from '../../../../lambda/core/env/preprocess';
import { readServiceConfig, wholeNumber } from '../../../../lambda/core/env/vars';
import { DEFAULT_DATASET_SCHEMA, encodeSchema } from '../../../../lambda/core/dataset-schema';
import { ConfigError } from '../../../../lambda/core/errors';

const good = {
  CURATED_BUCKET: 'curated',
  DATASET_SCHEMA: encodeSchema(DEFAULT_DATASET_SCHEMA),
  MAX_OBJECT_BYTES: '536870912',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    readPreprocessConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readPreprocessConfig', () => {
  it('reads every variable, with defaults for the optional ones', () => {
    expect(readPreprocessConfig(good)).toEqual({
      curatedBucket: 'curated',
      schema: DEFAULT_DATASET_SCHEMA,
      maxObjectBytes: 536870912,
      maxColumns: 4096,
      maxCategories: 10000,
      delimiter: ',',
      athenaCopy: true,
      serviceName: 'preprocess',
      metricsNamespace: 'AiaasFactory',
    });
  });

  it('reads the hostile-file limits MAX_COLUMNS and MAX_CATEGORIES, naming a bad one', () => {
    expect(readPreprocessConfig({ ...good, MAX_COLUMNS: '600', MAX_CATEGORIES: '50' })).toMatchObject({
      maxColumns: 600,
      maxCategories: 50,
    });
    expect(configError({ ...good, MAX_CATEGORIES: 'many' }).message).toMatch(
      /MAX_CATEGORIES must be a whole number/,
    );
  });

  it('reads DELIMITER by name, naming the allowed ones when it is another', () => {
    expect(readPreprocessConfig({ ...good, DELIMITER: 'tab' }).delimiter).toBe('\t');
    expect(configError({ ...good, DELIMITER: 'colon' }).message).toBe(
      'DELIMITER must be "comma" or "tab" or "semicolon" or "pipe", got "colon"',
    );
  });

  it('reads ATHENA_COPY as true or false, naming the allowed ones when it is another', () => {
    expect(readPreprocessConfig({ ...good, ATHENA_COPY: 'false' }).athenaCopy).toBe(false);
    expect(readPreprocessConfig({ ...good, ATHENA_COPY: 'true' }).athenaCopy).toBe(true);
    expect(configError({ ...good, ATHENA_COPY: 'no' }).message).toBe(
      'ATHENA_COPY must be "true" or "false", got "no"',
    );
  });

  it('takes POWERTOOLS_SERVICE_NAME and METRICS_NAMESPACE when set', () => {
    const config = readPreprocessConfig({
      ...good,
      POWERTOOLS_SERVICE_NAME: 'prep',
      METRICS_NAMESPACE: 'Plant',
    });
    expect(config).toMatchObject({ serviceName: 'prep', metricsNamespace: 'Plant' });
  });

  it.each(['CURATED_BUCKET', 'DATASET_SCHEMA', 'MAX_OBJECT_BYTES'])('names %s when it is missing', (name) => {
    const error = configError({ ...good, [name]: undefined });
    expect(error.variable).toBe(name);
    expect(error.message).toMatch(new RegExp(`^${name} is not set`));
    expect(error).toMatchObject({ code: 'config_invalid', status: 500 });
  });

  it.each([
    ['MAX_OBJECT_BYTES', '12MB', /MAX_OBJECT_BYTES must be a whole number ≥ 1, got "12MB"/],
    ['MAX_OBJECT_BYTES', '0', /≥ 1/],
    ['DATASET_SCHEMA', '{not json', /DATASET_SCHEMA is invalid: dataset schema is not valid JSON/],
    ['DATASET_SCHEMA', '{"timestamp":"t"}', /DATASET_SCHEMA is invalid: dataset schema: "category"/],
    ['CURATED_BUCKET', '   ', /CURATED_BUCKET is not set/],
  ])('names %s when it holds %j', (name, value, message) => {
    const error = configError({ ...good, [name]: value });
    expect(error.variable).toBe(name);
    expect(error.message).toMatch(message);
  });
});

describe('wholeNumber', () => {
  it('falls back only when the variable is unset', () => {
    expect(wholeNumber({}, 'N', { min: 0, fallback: 7 })).toBe(7);
    expect(wholeNumber({ N: '3' }, 'N', { min: 0, fallback: 7 })).toBe(3);
    expect(() => wholeNumber({ N: '-3' }, 'N', { min: 0, fallback: 7 })).toThrow(ConfigError);
  });
});

describe('readServiceConfig', () => {
  it('defaults the service name to the handler name and the namespace to AiaasFactory', () => {
    expect(readServiceConfig({}, 'plan')).toEqual({ serviceName: 'plan', metricsNamespace: 'AiaasFactory' });
  });

  it('takes POWERTOOLS_SERVICE_NAME and METRICS_NAMESPACE when set, trimmed', () => {
    expect(
      readServiceConfig({ POWERTOOLS_SERVICE_NAME: ' planner ', METRICS_NAMESPACE: 'Plant' }, 'plan'),
    ).toEqual({ serviceName: 'planner', metricsNamespace: 'Plant' });
  });

  it('treats blank values as unset', () => {
    expect(readServiceConfig({ POWERTOOLS_SERVICE_NAME: '  ', METRICS_NAMESPACE: '' }, 'evaluate')).toEqual({
      serviceName: 'evaluate',
      metricsNamespace: 'AiaasFactory',
    });
  });
});
