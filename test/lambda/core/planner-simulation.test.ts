/**
 * Checks the planner's T(p) = t0 + s + c·n/p against a discrete-event simulation of what a
 * training job does: p workers start after a jittered start-up, each works through its shards
 * (whole units, assigned statically as SageMaker's ShardedByS3Key does), every unit taking a
 * jittered c seconds; the job ends when the last worker ends plus the serial reduce.
 */
import { plannedSeconds, shardCount, shardSizes, type CostModel } from '../../../lambda/core/planner';

// Global lookups (Math.*) are slow inside jest's vm sandbox; hot loops use local bindings.
const { imul, max } = Math;

/** mulberry32: small, seedable, good enough for jitter. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Jitter {
  /** Each unit takes c·(1 + u), u uniform in [−unit, +unit]. */
  readonly unit: number;
  /** Each worker's start-up is t0·(1 + u), u uniform in [−startup, +startup]. */
  readonly startup: number;
  /** Each worker runs at a speed factor 1 + u, u uniform in [−worker, +worker] (stragglers). */
  readonly worker: number;
}

/** Makespan of one simulated job. */
function simulate(model: CostModel, p: number, jitter: Jitter, seed: number): number {
  const next = random(seed);
  const sizes = shardSizes(model.units, shardCount(model.units, p));
  const work = new Float64Array(p);
  for (let shard = 0; shard < sizes.length; shard++) {
    const w = shard % p;
    let seconds = 0;
    for (let i = 0; i < sizes[shard]; i++)
      seconds += model.secondsPerUnit * (1 + jitter.unit * (2 * next() - 1));
    work[w] += seconds;
  }
  let makespan = 0;
  for (let w = 0; w < p; w++) {
    const startup = model.startupSeconds * (1 + jitter.startup * (2 * next() - 1));
    const speed = 1 + jitter.worker * (2 * next() - 1);
    makespan = max(makespan, startup + work[w] / speed);
  }
  return makespan + model.serialSeconds;
}

describe('the planner against a discrete-event simulation', () => {
  const jitter: Jitter = { unit: 0.5, startup: 0.1, worker: 0.05 };
  const grid: { model: CostModel; p: number }[] = [];
  for (const units of [20_000, 100_000]) {
    for (const secondsPerUnit of [0.02, 0.5]) {
      for (const startupSeconds of [0, 60, 300]) {
        for (const serialSeconds of [0, 30]) {
          for (const p of [1, 2, 4, 8, 16, 32]) {
            grid.push({ model: { units, secondsPerUnit, startupSeconds, serialSeconds }, p });
          }
        }
      }
    }
  }

  test(`planned T is within 10% of the simulated makespan on all ${grid.length} grid points`, () => {
    let worst = 0;
    const started = Date.now();
    grid.forEach(({ model, p }, i) => {
      const simulated = simulate(model, p, jitter, 1000 + i);
      const error = Math.abs(plannedSeconds(model, p) - simulated) / simulated;
      worst = Math.max(worst, error);
      if (error > 0.1)
        throw new Error(`off by ${(error * 100).toFixed(1)}% at ${JSON.stringify({ model, p })}`);
    });
    // The worst points: most workers, fewest units each (625), no overhead to hide a straggler.
    console.log(
      `worst relative error ${(worst * 100).toFixed(2)}% over ${grid.length} points in ${Date.now() - started} ms`,
    );
    expect(worst).toBeLessThan(0.1);
    expect(worst).toBeGreaterThan(0);
  });

  test('without jitter the simulation equals the plan when units divide evenly', () => {
    const model: CostModel = { units: 12_000, secondsPerUnit: 0.25, startupSeconds: 60, serialSeconds: 30 };
    for (const p of [1, 2, 3, 4, 6, 8, 12]) {
      expect(simulate(model, p, { unit: 0, startup: 0, worker: 0 }, 1)).toBeCloseTo(
        plannedSeconds(model, p),
        6,
      );
    }
  });

  test('the fluid model underestimates when workers get only a unit or two (its documented limit)', () => {
    // 33 whole units on 32 workers: one worker carries 2 units, so the job takes 2c, not 33c/32.
    const model: CostModel = { units: 33, secondsPerUnit: 10, startupSeconds: 0, serialSeconds: 0 };
    const simulated = simulate(model, 32, { unit: 0, startup: 0, worker: 0 }, 1);
    expect(simulated).toBe(20);
    expect(plannedSeconds(model, 32)).toBeCloseTo(10.3125, 10);
  });
});
