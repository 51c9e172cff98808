/**
 * Column accumulation over the kept (de-duplicated) rows of pass 1: per numeric column its sum
 * and present count (whose ratio is the fill mean), per category its count, sums and missing
 * counts, per category the moments of its complete rows, and per text column its missing cells.
 * The numeric columns are the schema's (features and target, the first `schemaD`) and then the
 * extra columns pandas reads as numbers: those are summed and filled too, but the moments and
 * "complete" (a row the trainer can use) cover the schema's columns only.
 * Sums are Neumaier-compensated (KahanSum's arithmetic on typed arrays), so a partial merges
 * exactly with others (stats-partial.ts).
 */
import { Moments } from '../moments';
import { addRows, rowsScratch } from '../moments-rows';
import type { StagedRows } from './staged-rows';

/** KahanSum.add (Neumaier) on sum[j] / comp[j], without an object per column; the same arithmetic, so the same bits. */
function kahanAdd(sum: Float64Array, comp: Float64Array, j: number, x: number): void {
  const s = sum[j];
  const t = s + x;
  if (Math.abs(s) >= Math.abs(x)) comp[j] += s - t + x;
  else comp[j] += x - t + s;
  sum[j] = t;
}

export class ColumnStatistics {
  /** Kept rows. */
  clean = 0;
  /** Kept rows without a gap in the schema's numeric columns. */
  complete = 0;
  /** Kept rows whose category is missing. */
  noCategory = 0;
  readonly d: number;
  /** The schema's numeric columns: the first schemaD of the d. */
  readonly schemaD: number;
  /** Per numeric column: compensated sum (sum + comp) and present cells over kept rows. */
  readonly colSum: Float64Array;
  readonly colComp: Float64Array;
  readonly colPresent: Float64Array;
  /** Per header column: missing cells among kept rows (text columns only). */
  readonly textMissing: Float64Array;
  /** Per category index. */
  readonly catCount: number[] = [];
  readonly catSum: Float64Array[] = [];
  readonly catComp: Float64Array[] = [];
  readonly catMissing: Float64Array[] = [];
  /** Moments of each category's complete rows. */
  readonly catMoments: Moments[] = [];
  readonly noCategoryMoments: Moments;
  // Complete rows of a batch queued per category (key = category + 1, 0 = none) for addRows.
  private queueHead = new Int32Array(0);
  private queueTail = new Int32Array(0);
  private queuedKeys = new Int32Array(0);
  private queuedKeyCount = 0;
  private readonly queueNext: Int32Array;
  private readonly queueRows: Int32Array;
  private readonly rowsScratch: Float64Array;
  /** The batch's schema columns packed (stride schemaD) for the moments, when d > schemaD. */
  private readonly packed: Float64Array | null;
  private readonly schemaNumeric: readonly string[];

  constructor(numeric: readonly string[], schemaD: number, headerLength: number, batchCapacity: number) {
    const d = numeric.length;
    this.d = d;
    this.schemaD = schemaD;
    this.schemaNumeric = numeric.slice(0, schemaD);
    this.packed = d > schemaD ? new Float64Array(batchCapacity * schemaD) : null;
    this.colSum = new Float64Array(d);
    this.colComp = new Float64Array(d);
    this.colPresent = new Float64Array(d);
    this.textMissing = new Float64Array(headerLength);
    this.noCategoryMoments = new Moments(this.schemaNumeric);
    this.queueNext = new Int32Array(batchCapacity);
    this.queueRows = new Int32Array(batchCapacity);
    this.rowsScratch = rowsScratch(schemaD);
  }

  /** Per numeric column: the mean of its present cells over kept rows (NaN when none). */
  means(): Float64Array {
    const means = new Float64Array(this.d);
    for (let j = 0; j < this.d; j++) means[j] = (this.colSum[j] + this.colComp[j]) / this.colPresent[j];
    return means;
  }

  /**
   * Adds the batch's kept rows (first[i] < 0) in row order: sums, counts and missing cells, and
   * each category's complete rows to its moments four at a time (moments-rows.ts, the same bits
   * as one at a time). Sets `complete[i]` (no gap in the schema's columns) and `gapFree[i]` (no
   * numeric gap at all). `categories` is the number of categories known.
   */
  add(batch: StagedRows, categories: number): void {
    this.ensureCategories(categories);
    const d = this.d;
    const schemaD = this.schemaD;
    const values = batch.values;
    const texts = batch.textColumns;
    const gaps = batch.textGaps;
    const count = batch.count;
    for (let i = 0; i < count; i++) {
      if (batch.first[i] >= 0) continue;
      this.clean++;
      const at = i * d;
      const c = batch.category[i];
      let complete = true;
      let gapFree = true;
      if (c >= 0) {
        this.catCount[c]++;
        const sum = this.catSum[c];
        const comp = this.catComp[c];
        const missing = this.catMissing[c];
        for (let j = 0; j < d; j++) {
          const v = values[at + j];
          if (v === v) {
            kahanAdd(this.colSum, this.colComp, j, v);
            this.colPresent[j]++;
            kahanAdd(sum, comp, j, v);
          } else {
            if (j < schemaD) complete = false;
            else gapFree = false;
            missing[j]++;
          }
        }
      } else {
        this.noCategory++;
        for (let j = 0; j < d; j++) {
          const v = values[at + j];
          if (v === v) {
            kahanAdd(this.colSum, this.colComp, j, v);
            this.colPresent[j]++;
          } else if (j < schemaD) {
            complete = false;
          } else {
            gapFree = false;
          }
        }
      }
      batch.gapFree[i] = complete && gapFree ? 1 : 0;
      if (complete) {
        this.complete++;
        batch.complete[i] = 1;
        // Queued per category; each category's rows go to its moments below, in row order.
        const key = c + 1;
        if (this.queueHead[key] < 0) {
          this.queueHead[key] = i;
          this.queuedKeys[this.queuedKeyCount++] = key;
        } else {
          this.queueNext[this.queueTail[key]] = i;
        }
        this.queueTail[key] = i;
        this.queueNext[i] = -1;
      } else {
        batch.complete[i] = 0;
      }
      for (let t = 0; t < texts.length; t++) this.textMissing[texts[t]] += gaps[i * texts.length + t];
    }
    const rows = this.queueRows;
    let momentValues = values;
    const packed = this.packed;
    if (packed !== null) {
      for (let i = 0; i < count; i++)
        for (let j = 0; j < schemaD; j++) packed[i * schemaD + j] = values[i * d + j];
      momentValues = packed;
    }
    for (let q = 0; q < this.queuedKeyCount; q++) {
      const key = this.queuedKeys[q];
      let n = 0;
      for (let i = this.queueHead[key]; i >= 0; i = this.queueNext[i]) rows[n++] = i;
      this.queueHead[key] = -1;
      addRows(
        key === 0 ? this.noCategoryMoments : this.catMoments[key - 1],
        momentValues,
        rows,
        n,
        this.rowsScratch,
      );
    }
    this.queuedKeyCount = 0;
  }

  private ensureCategories(n: number): void {
    while (this.catCount.length < n) {
      this.catCount.push(0);
      this.catSum.push(new Float64Array(this.d));
      this.catComp.push(new Float64Array(this.d));
      this.catMissing.push(new Float64Array(this.d));
      this.catMoments.push(new Moments(this.schemaNumeric));
    }
    if (this.queueHead.length < n + 1) {
      const size = Math.max(n + 1, this.queueHead.length * 2);
      this.queueHead = new Int32Array(size).fill(-1);
      this.queueTail = new Int32Array(size);
      this.queuedKeys = new Int32Array(size);
    }
  }
}
