import fc from 'fast-check';
import {
  METADATA_CHARACTERS,
  METADATA_VALUE_MAX,
  metadataValue,
  modelPackageGroupName,
  packageMetadata,
  parseApprovalEvent,
  registrationToken,
} from '../../../lambda/core/model-registry';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';

describe('model package metadata within SageMaker limits', () => {
  it('turns any text into a value SageMaker accepts: 1-256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600, unit: 'binary' }), (text) => {
        const value = metadataValue(text);
        expect(value.length).toBeGreaterThanOrEqual(1);
        expect(value.length).toBeLessThanOrEqual(METADATA_VALUE_MAX);
        expect(value).toMatch(METADATA_CHARACTERS);
      }),
    );
  });

  it('replaces the characters SageMaker forbids, []{}",, and keeps what it allows', () => {
    expect(metadataValue('{"a": [1, 2]}')).toBe('__a_: _1_ 2__');
    expect(metadataValue('s3://models-bucket/models/20240501T120000Z-0123/model.json')).toBe(
      's3://models-bucket/models/20240501T120000Z-0123/model.json',
    );
    expect(metadataValue(-1.25e-7)).toBe('-1.25e-7');
    expect(metadataValue(null)).toBe('-');
    expect(metadataValue('x'.repeat(300))).toHaveLength(256);
  });

  it('writes at most 50 entries, each key and value within the limits, from a real-shaped artifact', () => {
    const artifact = {
      version: '20240501T120000Z-0123456789ab',
      trainedAt: '2024-05-01T12:00:00.000Z',
      target: 'Torque [Nm]',
      task: 'classification',
      features: ['a', 'b'],
      rows: 10,
      metrics: {
        r2: 0.5,
        rmse: 0.25,
        mae: null,
        rows: 3,
        on: 'holdout',
        classification: {
          logLoss: 0.3,
          auc: null,
          accuracy: 0.9,
          precision: 1,
          recall: 1,
          threshold: 0.5,
          confusion: { tp: 1, fp: 0, tn: 2, fn: 0 },
        },
      },
      lineage: {
        inputs: [{ key: 'raw/line [1]/"x".csv', etag: '"abc"' }],
        configHash: 'f'.repeat(64),
        codeVersion: '1.2.3+{dirty}',
      },
      capacity: {
        engine: 'batch',
        instances: 4,
        instanceType: 'c7g.xlarge',
        shards: 4,
        plannedSeconds: 812.5,
      },
    } as unknown as ModelArtifact;
    const metadata = packageMetadata(artifact, {
      artifactUri: 's3://m/models/20240501T120000Z-0123456789ab/model.json',
      reportUri: 's3://m/training/run/report.html',
    });
    expect(Object.keys(metadata).length).toBeLessThanOrEqual(50);
    for (const [key, value] of Object.entries(metadata)) {
      expect(key.length).toBeLessThanOrEqual(128);
      expect(key).toMatch(METADATA_CHARACTERS);
      expect(value.length).toBeLessThanOrEqual(256);
      expect(value).toMatch(METADATA_CHARACTERS);
    }
    expect(metadata).toMatchObject({
      version: '20240501T120000Z-0123456789ab',
      task: 'classification',
      report: 's3://m/training/run/report.html',
      target: 'Torque _Nm_',
      'metrics.auc': '-',
      'metrics.logLoss': '0.3',
      'lineage.inputs': '1',
      'lineage.codeVersion': '1.2.3+_dirty_',
      'capacity.instanceType': 'c7g.xlarge',
      'capacity.plannedSeconds': '812.5',
    });
    expect(metadata['lineage.inputsSha256']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('names and tokens', () => {
  it('names the group <prefix>-<stage>-models, and refuses a name SageMaker would not take', () => {
    expect(modelPackageGroupName('aiaas-factory', 'prod')).toBe('aiaas-factory-prod-models');
    expect(() => modelPackageGroupName('bad_prefix', 'dev')).toThrow(/is not a model package group name/);
  });

  it('derives one ClientToken per version: 32 characters of [a-zA-Z0-9-]', () => {
    const token = registrationToken('20240501T120000Z-0123456789ab');
    expect(token).toMatch(/^[a-zA-Z0-9-]{1,36}$/);
    expect(registrationToken('20240501T120000Z-0123456789ab')).toBe(token);
    expect(registrationToken('20240501T120000Z-0123456789ac')).not.toBe(token);
  });
});

describe('the approval event', () => {
  it('reads the group, package and status of a model package state change', () => {
    const event = parseApprovalEvent({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Model Package State Change',
      detail: {
        ModelPackageGroupName: 'g',
        ModelPackageArn: 'arn',
        ModelApprovalStatus: 'Approved',
        ModelPackageVersion: 3,
      },
    });
    expect(event.detail).toMatchObject({ ModelPackageGroupName: 'g', ModelApprovalStatus: 'Approved' });
  });

  it('names each defect of anything else', () => {
    expect(() =>
      parseApprovalEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
    ).toThrow(
      /^not a model package state change event: source: .*; detail-type: .*; detail.ModelPackageGroupName: .*; detail.ModelPackageArn: /,
    );
  });
});
