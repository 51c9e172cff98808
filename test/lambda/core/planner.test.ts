import fc from 'fast-check';
import {
  batchMaxVcpus,
  capMaxP,
  plan,
  planCost,
  planPoint,
  planTable,
  plannedSeconds,
  PlanInputError,
  requiredP,
  shardCount,
  shardSizes,
  sizeTrainingCapacity,
  type CostModel,
} from '../../../lambda/core/planner';
import { UnknownInstanceTypeError } from '../../../lambda/core/instance-facts';

const pure = (units: number): CostModel => ({
  units,
  secondsPerUnit: 1,
  startupSeconds: 0,
  serialSeconds: 0,
});
const overheads: CostModel = { units: 1000, secondsPerUnit: 2, startupSeconds: 60, serialSeconds: 30 };

describe('T = n/p', () => {
  test('1000 units with a 100 s deadline need exactly 10 instances and take 100 s', () => {
    const result = plan({ ...pure(1000), deadlineSeconds: 100 });
    expect(result).toMatchObject({ feasible: true, p: 10, seconds: 100 });
  });

  test('1001 units with a 100 s deadline need 11 instances', () => {
    const result = plan({ ...pure(1001), deadlineSeconds: 100 });
    expect(result).toMatchObject({ feasible: true, p: 11, seconds: 1001 / 11 });
  });

  test('with t0 = s = 0 and c = 1, T is bit-for-bit n/p', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 31 }), (n, p) => {
        expect(plannedSeconds(pure(n), p)).toBe(n / p);
      }),
    );
  });
});

describe('start-up, serial part and per-unit cost', () => {
  test('t0 = 60, s = 30, c = 2 over 1000 units meets a 300 s deadline with p = 10 in 290 s', () => {
    const result = plan({ ...overheads, deadlineSeconds: 300 });
    expect(result).toMatchObject({ feasible: true, p: 10, seconds: 290 });
  });

  test('the same job capped at 5 instances is infeasible, best 490 s at p = 5, needing p = 10', () => {
    const result = plan({ ...overheads, deadlineSeconds: 300, maxP: 5 });
    expect(result).toMatchObject({
      feasible: false,
      p: 5,
      seconds: 490,
      bestP: 5,
      bestSeconds: 490,
      shortfallSeconds: 190,
      reason: 'max-p',
      requiredP: 10,
    });
  });

  test('a deadline at or below t0 + s is infeasible for every p and says so', () => {
    const result = plan({ ...overheads, deadlineSeconds: 90, maxP: 50 });
    expect(result).toMatchObject({ feasible: false, reason: 'overhead', requiredP: null, bestP: 50, p: 50 });
    expect(result.seconds).toBe(90 + 2000 / 50);
  });

  test('minP above the needed p is honoured', () => {
    expect(plan({ ...pure(1000), deadlineSeconds: 100, minP: 12 })).toMatchObject({ feasible: true, p: 12 });
  });

  test('p is never raised past the number of units', () => {
    const result = plan({ ...pure(5), secondsPerUnit: 100, deadlineSeconds: 30 });
    expect(result).toMatchObject({ feasible: false, p: 5, maxP: 5, requiredP: 17, shards: 5 });
  });

  test('the check corrects the closed form where floating point rounds it one too high', () => {
    // Found by search: with D = T(813) exactly, ⌈c·n / (D − t0 − s)⌉ = 814, yet T(813) ≤ D.
    const model: CostModel = {
      units: 967641,
      secondsPerUnit: 1.9750881289297135,
      startupSeconds: 0.1,
      serialSeconds: 0.2,
    };
    const deadline = 2351.0702978667614;
    expect(Math.ceil((model.secondsPerUnit * model.units) / (deadline - (0.1 + 0.2)))).toBe(814);
    expect(plannedSeconds(model, 813)).toBeLessThanOrEqual(deadline);
    expect(requiredP(model, deadline)).toBe(813);
    expect(plan({ ...model, deadlineSeconds: deadline })).toMatchObject({ feasible: true, p: 813 });
  });

  test('the closed form answers a deadline needing millions of instances at once', () => {
    const result = plan({ ...pure(2 ** 50), deadlineSeconds: 3 });
    expect(result.feasible).toBe(true);
    expect(result.p).toBe(Math.ceil(2 ** 50 / 3));
    expect(plannedSeconds(pure(2 ** 50), result.p - 1)).toBeGreaterThan(3);
  });
});

describe('cost, speedup, efficiency', () => {
  test('cost is p × T × price / 3600', () => {
    const point = planPoint(overheads, 10, 0.23);
    expect(point.cost).toBe((10 * 290 * 0.23) / 3600);
    expect(planCost(10, 290, 0.23)).toBe(point.cost);
  });

  test('cost is null without a price', () => {
    expect(planPoint(overheads, 10).cost).toBeNull();
  });

  test('speedup is T(1)/T(p) and efficiency is speedup/p', () => {
    const point = planPoint(overheads, 10);
    expect(point.speedup).toBe(2090 / 290);
    expect(point.efficiency).toBe(2090 / 290 / 10);
  });

  test('with no overhead the speedup is p and the efficiency 1', () => {
    const point = planPoint(pure(1024), 8);
    expect(point.speedup).toBe(8);
    expect(point.efficiency).toBe(1);
  });
});

describe('shards', () => {
  test('one shard per instance by default', () => {
    expect(shardCount(1000, 10)).toBe(10);
  });

  test('never more shards than units', () => {
    expect(shardCount(3, 10)).toBe(3);
  });

  test('a per-shard limit raises the count to the next multiple of p', () => {
    expect(shardCount(1000, 3, { maxUnitsPerShard: 100 })).toBe(12);
  });

  test('shard sizes differ by at most one unit and add up to n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 1, max: 500 }), (n, p) => {
        const sizes = shardSizes(n, shardCount(n, p));
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
        expect(sizes.length).toBeGreaterThanOrEqual(Math.min(n, p));
      }),
    );
  });
});

describe('invalid input is a typed error naming the field', () => {
  const base = { ...overheads, deadlineSeconds: 300 };
  test.each([
    ['units', { units: -5 }],
    ['units', { units: 0 }],
    ['units', { units: Number.NaN }],
    ['units', { units: 1.5 }],
    ['secondsPerUnit', { secondsPerUnit: 0 }],
    ['startupSeconds', { startupSeconds: -1 }],
    ['serialSeconds', { serialSeconds: Number.POSITIVE_INFINITY }],
    ['deadlineSeconds', { deadlineSeconds: 0 }],
    ['minP', { minP: 0 }],
    ['maxP', { maxP: 2.5 }],
    ['minP', { minP: 6, maxP: 5 }],
    ['pricePerHour', { pricePerHour: -0.1 }],
  ])('%s is rejected in %j', (field, patch) => {
    let caught: unknown;
    try {
      plan({ ...base, ...patch });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlanInputError);
    expect(caught).toMatchObject({ field, code: 'InvalidPlanInput' });
  });
});

describe('properties', () => {
  const model = fc.record({
    units: fc.integer({ min: 1, max: 10_000_000 }),
    secondsPerUnit: fc.double({ min: 1e-6, max: 100, noNaN: true }),
    startupSeconds: fc.double({ min: 0, max: 3600, noNaN: true }),
    serialSeconds: fc.double({ min: 0, max: 3600, noNaN: true }),
  });

  test('T is non-increasing in p', () => {
    fc.assert(
      fc.property(model, fc.integer({ min: 1, max: 1_000_000 }), (m, p) => {
        expect(plannedSeconds(m, p + 1)).toBeLessThanOrEqual(plannedSeconds(m, p));
      }),
    );
  });

  test('the chosen p meets the deadline, p − 1 does not, and bounds hold', () => {
    fc.assert(
      fc.property(
        model,
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 5000 }),
        (m, deadlineSeconds, minP, extra) => {
          const maxP = minP + extra;
          const result = plan({ ...m, deadlineSeconds, minP, maxP });
          expect(result.p).toBeGreaterThanOrEqual(minP);
          expect(result.p).toBeLessThanOrEqual(Math.max(minP, Math.min(maxP, m.units)));
          expect(result.seconds).toBe(plannedSeconds(m, result.p));
          if (result.feasible) {
            expect(result.seconds).toBeLessThanOrEqual(deadlineSeconds);
            if (result.p > minP) expect(plannedSeconds(m, result.p - 1)).toBeGreaterThan(deadlineSeconds);
          } else {
            expect(result.bestSeconds).toBeGreaterThan(deadlineSeconds);
            expect(result.bestP).toBe(result.p);
            if (result.requiredP !== null) {
              expect(plannedSeconds(m, result.requiredP)).toBeLessThanOrEqual(deadlineSeconds);
              if (result.requiredP > 1) {
                expect(plannedSeconds(m, result.requiredP - 1)).toBeGreaterThan(deadlineSeconds);
              }
            }
          }
        },
      ),
    );
  });

  test('requiredP is minimal even when the closed form rounds the wrong way', () => {
    fc.assert(
      fc.property(model, fc.double({ min: 1, max: 1e7, noNaN: true }), (m, d) => {
        const p = requiredP(m, d);
        if (p === null) return;
        expect(plannedSeconds(m, p)).toBeLessThanOrEqual(d);
        if (p > 1) expect(plannedSeconds(m, p - 1)).toBeGreaterThan(d);
      }),
    );
  });

  test('cost is exactly p × T × price / 3600 for any p', () => {
    fc.assert(
      fc.property(
        model,
        fc.integer({ min: 1, max: 10000 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (m, p, price) => {
          const point = planPoint(m, p, price);
          expect(point.cost).toBe((p * point.seconds * price) / 3600);
        },
      ),
    );
  });
});

describe('table, limits and Batch sizing', () => {
  test('the table spans the chosen p ± 3 within bounds, ascending', () => {
    const rows = planTable(pure(1000), 10, { minP: 1, maxP: 1000 });
    expect(rows.map((r) => r.p)).toEqual([1, 7, 8, 9, 10, 11, 12, 13, 1000]);
  });

  test('the tightest limit wins', () => {
    expect(capMaxP(20, undefined, 8)).toBe(8);
    expect(capMaxP()).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('Batch maxvCpus is p × vCPUs per instance', () => {
    expect(batchMaxVcpus(10, 4)).toBe(40);
  });
});

describe('sizeTrainingCapacity', () => {
  test('sizes Batch vCPUs and the instance count from the configured workload', () => {
    const capacity = sizeTrainingCapacity({
      rowsPerRun: 1000,
      deadlineSeconds: 300,
      instanceType: 'c5.xlarge',
      maxInstances: 20,
      startupSeconds: 60,
      secondsPerUnit: 2,
      serialSeconds: 30,
    });
    expect(capacity).toMatchObject({
      p: 10,
      plannedSeconds: 290,
      feasible: true,
      maxvCpus: 40,
      pricePerHour: 0.17,
      instanceFacts: { vcpus: 4, memoryMiB: 8192, ec2Type: 'c5.xlarge' },
    });
    expect(capacity.cost).toBe((10 * 290 * 0.17) / 3600);
  });

  test('an unreachable deadline sizes for the ceiling and reports infeasible', () => {
    const capacity = sizeTrainingCapacity({
      rowsPerRun: 1000,
      deadlineSeconds: 300,
      instanceType: 'ml.m5.xlarge',
      maxInstances: 5,
      startupSeconds: 60,
      secondsPerUnit: 2,
      serialSeconds: 30,
      pricePerHour: 1,
    });
    expect(capacity).toMatchObject({
      p: 5,
      plannedSeconds: 490,
      feasible: false,
      maxvCpus: 20,
      pricePerHour: 1,
    });
  });

  test('an invalid workload names the workload field', () => {
    expect(() =>
      sizeTrainingCapacity({
        rowsPerRun: 0,
        deadlineSeconds: 300,
        instanceType: 'c5.xlarge',
        maxInstances: 5,
        startupSeconds: 0,
        secondsPerUnit: 1,
        serialSeconds: 0,
      }),
    ).toThrow(expect.objectContaining({ field: 'rowsPerRun' }));
  });

  test('an unknown instance type is rejected with the known types', () => {
    expect(() =>
      sizeTrainingCapacity({
        rowsPerRun: 10,
        deadlineSeconds: 300,
        instanceType: 'x9.huge',
        maxInstances: 5,
        startupSeconds: 0,
        secondsPerUnit: 1,
        serialSeconds: 0,
      }),
    ).toThrow(UnknownInstanceTypeError);
  });
});
