process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { DescribeInstanceTypesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import {
  clearInstanceFactsCache,
  describeInstanceFacts,
  InstanceTypeLookupError,
} from '../../../lambda/adapters/instance-types';
import {
  instanceFacts,
  knownEc2InstanceTypes,
  knownInstanceTypes,
} from '../../../lambda/core/instance-facts';

describe('describeInstanceFacts (mocked EC2)', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => {
    ec2.reset();
    clearInstanceFactsCache();
  });
  // mockClient patches every EC2Client; the moto tests below need the real one back.
  afterAll(() => ec2.restore());

  test('asks EC2 once per type and answers later calls from the cache', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [
        {
          InstanceType: 'c5.xlarge',
          VCpuInfo: { DefaultVCpus: 4 },
          MemoryInfo: { SizeInMiB: 8192 },
          ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
        },
      ],
    });
    const client = new EC2Client({ region: 'eu-west-1' });
    const [a, b] = await Promise.all([
      describeInstanceFacts(client, 'c5.xlarge'),
      describeInstanceFacts(client, 'c5.xlarge'),
    ]);
    await describeInstanceFacts(client, 'c5.xlarge');
    expect(a).toEqual({
      instanceType: 'c5.xlarge',
      ec2Type: 'c5.xlarge',
      vcpus: 4,
      memoryMiB: 8192,
      architectures: ['x86_64'],
      pricePerHour: 0.17,
    });
    expect(b).toBe(a);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstanceTypesCommand, 1);
  });

  test('a SageMaker type is looked up as its EC2 type', async () => {
    ec2.on(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large'] }).resolves({
      InstanceTypes: [
        { InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 } },
      ],
    });
    const facts = await describeInstanceFacts(new EC2Client({ region: 'eu-west-1' }), 'ml.m5.large');
    expect(facts).toMatchObject({
      instanceType: 'ml.m5.large',
      ec2Type: 'm5.large',
      vcpus: 2,
      pricePerHour: 0.115,
    });
  });

  test('a failed lookup is a typed error and is not cached', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejectsOnce(new Error('Throttling'))
      .resolves({
        InstanceTypes: [
          { InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 } },
        ],
      });
    const client = new EC2Client({ region: 'eu-west-1' });
    await expect(describeInstanceFacts(client, 'm5.large')).rejects.toThrow(InstanceTypeLookupError);
    await expect(describeInstanceFacts(client, 'm5.large')).resolves.toMatchObject({ vcpus: 2 });
  });

  test('an answer without figures is a typed error', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [] });
    await expect(describeInstanceFacts(new EC2Client({ region: 'eu-west-1' }), 'm5.large')).rejects.toThrow(
      /no vCPU\/memory figures for m5.large/,
    );
  });
});

describe('the committed instance table agrees with EC2 (moto_server)', () => {
  let moto: MotoServer;
  let client: EC2Client;

  beforeAll(async () => {
    moto = await startMoto();
    useMotoEnvironment(moto.endpoint);
    client = new EC2Client({ endpoint: moto.endpoint, region: 'eu-west-1' });
    clearInstanceFactsCache();
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  test.each(knownEc2InstanceTypes())(
    '%s has the vCPUs, memory and architecture EC2 reports',
    async (type) => {
      const live = await describeInstanceFacts(client, type);
      const table = instanceFacts(type);
      expect({ vcpus: table.vcpus, memoryMiB: table.memoryMiB }).toEqual({
        vcpus: live.vcpus,
        memoryMiB: live.memoryMiB,
      });
      expect(live.architectures).toContain(table.architecture);
    },
  );

  test('every SageMaker type in the table resolves through EC2 to the same figures', async () => {
    for (const type of knownInstanceTypes().filter((t) => t.startsWith('ml.'))) {
      const live = await describeInstanceFacts(client, type);
      expect([live.vcpus, live.memoryMiB]).toEqual([
        instanceFacts(type).vcpus,
        instanceFacts(type).memoryMiB,
      ]);
    }
  });
});
