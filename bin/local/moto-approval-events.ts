/**
 * moto gap (local pipeline): moto's SageMaker keeps model packages and their approval status but
 * emits no EventBridge events. This builds the "SageMaker Model Package State Change" event
 * SageMaker sends when a package's status changes ("Events that Amazon SageMaker sends to Amazon
 * EventBridge", SageMaker developer guide: its detail is the package as DescribeModelPackage
 * returns it), for the approval handler the training stack's rule would invoke.
 */
import type { RegisteredPackage } from '../../lambda/adapters/model-registry';
import { MODEL_PACKAGE_EVENT } from '../../lambda/core/model-registry';

export const NO_APPROVAL_EVENTS = {
  name: 'approvalEvent',
  gap: 'moto emits no "SageMaker Model Package State Change" events: the event is built from DescribeModelPackage and handed to the approval handler',
} as const;

export function approvalEvent(pkg: RegisteredPackage, at = new Date()): Record<string, unknown> {
  const arn = pkg.packageArn;
  const [, , , region = '', account = ''] = arn.split(':');
  return {
    version: '0',
    id: `local-${at.getTime()}`,
    'detail-type': MODEL_PACKAGE_EVENT.detailType,
    source: MODEL_PACKAGE_EVENT.source,
    account,
    time: at.toISOString(),
    region,
    resources: [arn],
    detail: {
      ModelPackageGroupName: pkg.group,
      ModelPackageVersion: pkg.version,
      ModelPackageArn: arn,
      ModelApprovalStatus: pkg.status,
      CustomerMetadataProperties: pkg.metadata,
    },
  };
}
