/**
 * Instance facts at run time, from EC2 DescribeInstanceTypes (vCPUs, memory, architecture),
 * cached per process: the answer does not change while a Lambda environment lives, and one call
 * per type keeps the plan step off the EC2 API's throttles. The price has no API answer here
 * (the Price List API is a separate, us-east-1-only service), so it comes from the committed table.
 */
import { DescribeInstanceTypesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { ec2TypeOf, tryInstanceFacts, type Architecture } from '../core/instance-facts';

export interface LiveInstanceFacts {
  readonly instanceType: string;
  readonly ec2Type: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly architectures: readonly string[];
  /** From the committed table when the type is in it; undefined otherwise. */
  readonly pricePerHour: number | undefined;
}

export class InstanceTypeLookupError extends Error {
  readonly code = 'InstanceTypeLookupFailed';
  constructor(
    readonly instanceType: string,
    message: string,
  ) {
    super(message);
    this.name = 'InstanceTypeLookupError';
  }
}

const cache = new Map<string, Promise<LiveInstanceFacts>>();

/** Forgets cached answers (tests). */
export function clearInstanceFactsCache(): void {
  cache.clear();
}

/**
 * Facts for an EC2 or SageMaker (`ml.`) type; a SageMaker type is looked up as the EC2 type it
 * names. Concurrent callers for the same type share one request; a failed request is not cached.
 */
export function describeInstanceFacts(client: EC2Client, instanceType: string): Promise<LiveInstanceFacts> {
  const ec2Type = ec2TypeOf(instanceType);
  const key = `${instanceType}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = lookup(client, instanceType, ec2Type);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function lookup(client: EC2Client, instanceType: string, ec2Type: string): Promise<LiveInstanceFacts> {
  let answer;
  try {
    answer = await client.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [ec2Type as _InstanceType] }),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InstanceTypeLookupError(instanceType, `DescribeInstanceTypes failed for ${ec2Type}: ${reason}`);
  }
  const info = answer.InstanceTypes?.find((t) => t.InstanceType === ec2Type);
  const vcpus = info?.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info?.MemoryInfo?.SizeInMiB;
  if (!info || vcpus === undefined || memoryMiB === undefined) {
    throw new InstanceTypeLookupError(
      instanceType,
      `DescribeInstanceTypes has no vCPU/memory figures for ${ec2Type}`,
    );
  }
  return {
    instanceType,
    ec2Type,
    vcpus,
    memoryMiB,
    architectures: (info.ProcessorInfo?.SupportedArchitectures ?? []) as Architecture[],
    pricePerHour: tryInstanceFacts(instanceType)?.pricePerHour,
  };
}
