/**
 * A small seeded generator of linear data with known truth, for tests that must not wait for
 * (or depend on) the CSV generator: correlated features, y = wᵀx + b + N(0, σ²).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface LinearData {
  readonly features: string[];
  readonly target: string;
  readonly weights: number[];
  readonly bias: number;
  readonly sigma: number;
  /** Rows of [x₁..x_d, y]. */
  readonly rows: number[][];
}

/** `offset` sets the feature means (100·j by default): large offsets over small spreads make the data harder. */
export function linearData(n: number, seed: number, d = 4, offset = 100): LinearData {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const features = Array.from({ length: d }, (_, j) => `f${j}`);
  const weights = features.map((_, j) => (j % 2 ? -1 : 1) * (0.5 + j * 0.75));
  const bias = 3.25;
  const sigma = 0.5;
  const scales = features.map((_, j) => 10 ** ((j % 3) - 1));
  const offsets = features.map((_, j) => offset * j);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const z = normal();
    const x = features.map((_, j) => offsets[j] + scales[j] * (normal() + 0.6 * z));
    let y = bias + sigma * normal();
    for (let j = 0; j < d; j++) y += weights[j] * x[j];
    rows.push([...x, y]);
  }
  return { features, target: 'y', weights, bias, sigma, rows };
}
