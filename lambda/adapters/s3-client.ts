import { S3Client } from '@aws-sdk/client-s3';

/**
 * The S3 client, created once per process, in a module of its own: the trainer image bundles
 * without tree-shaking (its Dockerfile builds CommonJS), so importing clients.ts there would ship
 * every SDK client, and lib/network-plan.ts counts what the trainer bundles as what it calls.
 * `AWS_ENDPOINT_URL` (read by the SDK itself) points it at moto_server locally; S3 then needs
 * path-style addressing because loopback has no bucket subdomains.
 */
let s3: S3Client | undefined;

export const s3Client = (): S3Client =>
  (s3 ??= new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) }));
