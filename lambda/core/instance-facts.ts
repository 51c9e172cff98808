/**
 * Instance facts for synth time, from a committed table (instance-types.json): works offline,
 * with no credentials. The run-time adapter (lambda/adapters/instance-types.ts) asks EC2
 * DescribeInstanceTypes instead; a test keeps the two in agreement.
 */
import table from './instance-types.json';

export type Architecture = 'x86_64' | 'arm64';

export interface InstanceFacts {
  /** The type as asked for, e.g. `ml.m5.xlarge` or `c5.2xlarge`. */
  readonly instanceType: string;
  /** The EC2 type whose hardware it is (`m5.xlarge` for `ml.m5.xlarge`). */
  readonly ec2Type: string;
  readonly service: 'ec2' | 'sagemaker';
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly architecture: Architecture;
  /** On-demand USD per instance-hour in the table's region (an estimate, see the table). */
  readonly pricePerHour: number;
}

interface Ec2Row {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly architecture: string;
  readonly pricePerHour: number;
}

interface SageMakerRow {
  readonly ec2Type: string;
  readonly pricePerHour: number;
}

const EC2: Readonly<Record<string, Ec2Row>> = table.ec2;
const SAGEMAKER: Readonly<Record<string, SageMakerRow>> = table.sagemaker;

/** The region the table's prices are for. */
export const PRICE_REGION: string = table.region;

export class UnknownInstanceTypeError extends Error {
  readonly code = 'UnknownInstanceType';
  constructor(readonly instanceType: string) {
    super(`unknown instance type "${instanceType}"; known types: ${knownInstanceTypes().join(', ')}`);
    this.name = 'UnknownInstanceTypeError';
  }
}

/** Every type in the table, EC2 first, each group sorted. */
export function knownInstanceTypes(): string[] {
  return [...Object.keys(EC2).sort(), ...Object.keys(SAGEMAKER).sort()];
}

/** The EC2 types in the table (what DescribeInstanceTypes can be checked against). */
export function knownEc2InstanceTypes(): string[] {
  return Object.keys(EC2).sort();
}

function ec2Row(type: string): Ec2Row | undefined {
  return Object.prototype.hasOwnProperty.call(EC2, type) ? EC2[type] : undefined;
}

/** The EC2 type behind a type: `ml.m5.xlarge` → `m5.xlarge`, `c5.large` → itself. */
export function ec2TypeOf(instanceType: string): string {
  return instanceType.startsWith('ml.') ? instanceType.slice(3) : instanceType;
}

/** Facts for a type from the committed table; throws UnknownInstanceTypeError listing the known types. */
export function instanceFacts(instanceType: string): InstanceFacts {
  if (instanceType.startsWith('ml.')) {
    const row = Object.prototype.hasOwnProperty.call(SAGEMAKER, instanceType)
      ? SAGEMAKER[instanceType]
      : undefined;
    const hardware = row && ec2Row(row.ec2Type);
    if (!row || !hardware) throw new UnknownInstanceTypeError(instanceType);
    return {
      instanceType,
      ec2Type: row.ec2Type,
      service: 'sagemaker',
      vcpus: hardware.vcpus,
      memoryMiB: hardware.memoryMiB,
      architecture: hardware.architecture as Architecture,
      pricePerHour: row.pricePerHour,
    };
  }
  const row = ec2Row(instanceType);
  if (!row) throw new UnknownInstanceTypeError(instanceType);
  return {
    instanceType,
    ec2Type: instanceType,
    service: 'ec2',
    vcpus: row.vcpus,
    memoryMiB: row.memoryMiB,
    architecture: row.architecture as Architecture,
    pricePerHour: row.pricePerHour,
  };
}

/** Like instanceFacts, but undefined for an unknown type. */
export function tryInstanceFacts(instanceType: string): InstanceFacts | undefined {
  try {
    return instanceFacts(instanceType);
  } catch (error) {
    if (error instanceof UnknownInstanceTypeError) return undefined;
    throw error;
  }
}
