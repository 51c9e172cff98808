import {
  ec2TypeOf,
  instanceFacts,
  knownEc2InstanceTypes,
  knownInstanceTypes,
  tryInstanceFacts,
  UnknownInstanceTypeError,
} from '../../../lambda/core/instance-facts';

describe('instanceFacts', () => {
  test('an EC2 type has its vCPUs, memory, architecture and price', () => {
    expect(instanceFacts('m5.xlarge')).toEqual({
      instanceType: 'm5.xlarge',
      ec2Type: 'm5.xlarge',
      service: 'ec2',
      vcpus: 4,
      memoryMiB: 16384,
      architecture: 'x86_64',
      pricePerHour: 0.192,
    });
  });

  test('a SageMaker ml. type has the hardware of its EC2 family and its own price', () => {
    expect(instanceFacts('ml.c5.2xlarge')).toEqual({
      instanceType: 'ml.c5.2xlarge',
      ec2Type: 'c5.2xlarge',
      service: 'sagemaker',
      vcpus: 8,
      memoryMiB: 16384,
      architecture: 'x86_64',
      pricePerHour: 0.408,
    });
  });

  test('Graviton types are arm64', () => {
    expect(instanceFacts('c6g.large').architecture).toBe('arm64');
  });

  test('the table covers the types the platform uses', () => {
    const known = knownInstanceTypes();
    for (const type of [
      'ml.m5.large',
      'ml.m5.xlarge',
      'ml.m5.2xlarge',
      'ml.m5.4xlarge',
      'ml.c5.xlarge',
      'ml.c5.2xlarge',
      'ml.c5.4xlarge',
      ...['m5', 'c5', 'm6g', 'c6g'].flatMap((f) =>
        ['large', 'xlarge', '2xlarge', '4xlarge'].map((s) => `${f}.${s}`),
      ),
    ]) {
      expect(known).toContain(type);
    }
  });

  test('every SageMaker type maps to an EC2 type in the table', () => {
    const ec2 = knownEc2InstanceTypes();
    for (const type of knownInstanceTypes().filter((t) => t.startsWith('ml.'))) {
      expect(ec2).toContain(ec2TypeOf(type));
    }
  });

  test('an unknown type is an error listing the known types', () => {
    expect(() => instanceFacts('p9.mega')).toThrow(UnknownInstanceTypeError);
    expect(() => instanceFacts('p9.mega')).toThrow(
      /unknown instance type "p9.mega"; known types: .*c5.large.*ml.m5.xlarge/,
    );
    expect(() => instanceFacts('ml.p9.mega')).toThrow(UnknownInstanceTypeError);
  });

  test('inherited object keys are not instance types', () => {
    expect(tryInstanceFacts('constructor')).toBeUndefined();
    expect(tryInstanceFacts('ml.toString')).toBeUndefined();
  });
});
