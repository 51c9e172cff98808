/**
 * What a finished training job cost: its billable seconds on each instance × instances × the
 * instance-hour price of the planner's table (instance-types.json). SageMaker's
 * BillableTimeInSeconds is per instance: "Multiply BillableTimeInSeconds by the number of
 * instances (InstanceCount) in your training cluster to get the total compute time SageMaker AI
 * bills you" (SageMaker API reference, DescribeTrainingJob).
 */
import type { JobRecord } from './calibration';
import { tryInstanceFacts } from './instance-facts';

/** USD, or undefined when the record names no instance type the table prices. */
export function jobCostUsd(record: JobRecord, fallbackInstanceType?: string): number | undefined {
  const type = record.instanceType ?? fallbackInstanceType;
  const facts = type === undefined ? undefined : tryInstanceFacts(type);
  if (!facts) return undefined;
  return (record.billableSeconds * record.instances * facts.pricePerHour) / 3600;
}
