/**
 * Durations as people type them: plain seconds (`120`, `1.5`), or a number with one unit —
 * `90s`, `30m`, `2h`, `1d`. One unit only: `1h30m` is rejected rather than guessed at.
 */
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*([smhd]?)$/;

export class DurationParseError extends Error {
  readonly code = 'InvalidDuration';
  constructor(readonly input: string) {
    super(`cannot parse duration "${input}": use seconds (120) or a number with s, m, h or d (90s, 30m, 2h)`);
    this.name = 'DurationParseError';
  }
}

/** Seconds in a duration string; throws DurationParseError. Zero is returned as 0 (callers bound it). */
export function parseDuration(input: string): number {
  const match = DURATION.exec(input.trim().toLowerCase());
  if (!match) throw new DurationParseError(input);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  if (!Number.isFinite(seconds)) throw new DurationParseError(input);
  return seconds;
}

/** A short human rendering: `42 s`, `12 min 5 s`, `2 h 3 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 60) return `${round(seconds, 2)} s`;
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds - m * 60);
    return s === 60 ? `${m + 1} min` : s ? `${m} min ${s} s` : `${m} min`;
  }
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds - h * 3600) / 60);
  return m === 60 ? `${h + 1} h` : m ? `${h} h ${m} min` : `${h} h`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
