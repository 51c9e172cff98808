/**
 * The session every step runs in: moto_server (a real S3 API on loopback) and this process's
 * environment pointed at it, then all of it stopped and restored again.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { EnvScope } from '../env-scope';
import {
  MOTO_INSTALL_HINT,
  motoAvailable,
  startMoto,
  useMotoEnvironment,
  type MotoServer,
} from '../moto-server';
import type { LocalApi } from '../predict-server';
import type { RunClock } from '../run-clock';

export const REGION = 'eu-west-1';

/** moto_server is not on PATH; the message is the install hint. */
export class MotoMissingError extends Error {
  constructor() {
    super(MOTO_INSTALL_HINT);
    this.name = 'MotoMissingError';
  }
}

export function requireMoto(): void {
  if (!motoAvailable()) throw new MotoMissingError();
}

export async function startMotoStep(clock: RunClock): Promise<MotoServer> {
  const moto = await clock.step('moto_server', () => startMoto());
  clock.say(`moto_server up on ${moto.endpoint} (pid ${moto.pid})`);
  return moto;
}

/** Points the SDK and Powertools at the session, and returns the S3 client every step shares. */
export async function useSession(moto: MotoServer, env: EnvScope, verbose: boolean): Promise<S3Client> {
  env.snapshot();
  useMotoEnvironment(moto.endpoint, REGION);
  env.set({
    POWERTOOLS_LOG_LEVEL: verbose ? 'INFO' : 'SILENT',
    // EMF metrics are printed to stdout in Lambda for CloudWatch to pick up; nothing reads them here.
    POWERTOOLS_METRICS_DISABLED: verbose ? 'false' : 'true',
  });
  // Imported only now: the clients read AWS_ENDPOINT_URL when they are created.
  const { s3Client } = await import('../../../lambda/adapters/clients');
  return s3Client();
}

/** Stops what was started, in reverse order, and puts the environment back. */
export async function closeSession(
  api: LocalApi | undefined,
  moto: MotoServer | undefined,
  env: EnvScope,
): Promise<void> {
  await api?.close();
  await moto?.stop();
  env.restore();
}
