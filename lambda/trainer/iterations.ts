/**
 * How the hosts of one SageMaker training job meet each Newton iteration of a classification
 * fit, through the same store their partials meet in (S3 or a shared directory):
 *
 *   leader (first sorted host)   iter-<k>-point.json       the standardised weights to evaluate
 *   every other host             iter-<k>-pass-<shard>.json its rows' loss, gradient and Hessian
 *   leader                       done.json                 written when the fit is over
 *
 * The leader adds the passes in shard-name order (as in one process: `localPasses`), so the
 * answer does not depend on arrival order, and it equals the one-process fit. Each iteration
 * costs one pass over each host's own spilled rows plus one exchange (two small objects and the
 * polling delay): the planner's per-iteration term. Followers stop at done.json, which the
 * leader also writes when the task is regression or the fit fails, so no host waits forever.
 */
import type { LogisticPoint } from '../core/logistic';
import { LogisticPass, type LogisticPassJson } from '../core/logistic';
import { shardPass, type PassRunner, type TrainingShard } from '../core/train';
import type { PartialsStore } from './partials-store';

const pointName = (k: number) => `iter-${String(k).padStart(4, '0')}-point.json`;
const passName = (k: number, shard: string) => `iter-${String(k).padStart(4, '0')}-pass-${shard}.json`;
export const DONE_NAME = 'done.json';

interface PointJson {
  readonly theta: number[];
  readonly mean: number[];
  readonly invStd: number[];
  readonly positive: number;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as T;

export interface ExchangeTiming {
  readonly timeoutMs: number;
  readonly pollMs: number;
}

async function waitFor(
  store: PartialsStore,
  names: readonly string[],
  timing: ExchangeTiming,
  what: string,
): Promise<Set<string>> {
  const deadline = Date.now() + timing.timeoutMs;
  for (;;) {
    const present = new Set(await store.list());
    if (names.some((n) => present.has(n))) return present;
    if (Date.now() >= deadline)
      throw new Error(`waited ${Math.round(timing.timeoutMs / 1000)} s for ${what} in ${store.location}`);
    await new Promise((r) => setTimeout(r, timing.pollMs));
  }
}

/** The leader's pass runner: publishes each point, adds its own pass and every other host's. */
export function leaderPasses(
  store: PartialsStore,
  own: TrainingShard,
  shards: readonly string[],
  timing: ExchangeTiming,
): PassRunner {
  const others = [...shards].filter((s) => s !== own.shard).sort();
  return async (point, k) => {
    const json: PointJson = {
      theta: Array.from(point.theta),
      mean: Array.from(point.mean),
      invStd: Array.from(point.invStd),
      positive: point.positive,
    };
    await store.put(pointName(k), encode(json));
    const mine = shardPass(own, point);
    const parts = new Map<string, LogisticPass>([[own.shard, mine]]);
    const deadline = Date.now() + timing.timeoutMs;
    while (parts.size < others.length + 1) {
      const present = new Set(await store.list());
      for (const s of others) {
        if (!parts.has(s) && present.has(passName(k, s)))
          parts.set(s, LogisticPass.fromJSON(decode<LogisticPassJson>(await store.get(passName(k, s)))));
      }
      if (parts.size === others.length + 1) break;
      if (Date.now() >= deadline)
        throw new Error(
          `iteration ${k}: waited ${Math.round(timing.timeoutMs / 1000)} s for ${others.length} passes, have ${parts.size - 1}`,
        );
      await new Promise((r) => setTimeout(r, timing.pollMs));
    }
    let total: LogisticPass | null = null;
    for (const s of [...parts.keys()].sort()) total = total ? total.merge(parts.get(s)!) : parts.get(s)!;
    return total!;
  };
}

/** The leader's last word: followers stop. */
export async function finishIterations(store: PartialsStore, outcome: 'ok' | 'failed'): Promise<void> {
  await store.put(DONE_NAME, encode({ outcome }));
}

/** A follower: evaluates every point the leader publishes on its own rows until done.json. Returns the passes made. */
export async function followIterations(
  store: PartialsStore,
  own: TrainingShard,
  timing: ExchangeTiming,
): Promise<number> {
  for (let k = 0; ; k++) {
    const present = await waitFor(store, [pointName(k), DONE_NAME], timing, `iteration ${k} or ${DONE_NAME}`);
    if (!present.has(pointName(k))) return k;
    const json = decode<PointJson>(await store.get(pointName(k)));
    const point: LogisticPoint = {
      theta: Float64Array.from(json.theta),
      mean: json.mean,
      invStd: json.invStd,
      positive: json.positive,
    };
    await store.put(passName(k, own.shard), encode(shardPass(own, point).toJSON()));
  }
}
