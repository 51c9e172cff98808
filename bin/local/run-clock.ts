import { performance } from 'node:perf_hooks';

export interface StepTime {
  readonly step: string;
  readonly seconds: number;
}

/** The run's time line: progress lines stamped with the seconds since the start, and step timings. */
export interface RunClock {
  /** Seconds since the clock started. */
  elapsed(): number;
  /** One progress line, stamped. */
  say(line: string): void;
  /** Runs one named step and records how long it took; an abort stops the run before and after it. */
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** The steps so far, in order (the summary's `steps`). */
  readonly steps: readonly StepTime[];
}

export function startRunClock(options: {
  readonly signal?: AbortSignal;
  readonly progress?: (line: string) => void;
}): RunClock {
  const { signal, progress } = options;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const steps: StepTime[] = [];
  return {
    elapsed,
    say: (line) => progress?.(`[${elapsed().toFixed(1).padStart(6)}s] ${line}`),
    async step<T>(name: string, run: () => Promise<T>): Promise<T> {
      signal?.throwIfAborted();
      const start = performance.now();
      const value = await run();
      steps.push({ step: name, seconds: (performance.now() - start) / 1000 });
      signal?.throwIfAborted();
      return value;
    },
    steps,
  };
}
