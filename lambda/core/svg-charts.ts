/**
 * Small inline-SVG charts for the model report (./model-report.ts): strings in, strings out, no
 * script, no font or image fetched. Every plotted datum is one element of class `mark` (a point,
 * a bar, a cell), so a reader (or the browser test) can count what a chart shows against what it
 * was given; a datum that is not a finite number is not drawn, and so goes missing from the count.
 * Every text is escaped here (`escapeHtml`): column names and category values are user input.
 */

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number as a person reads it: up to 4 significant digits, no exponent for ordinary sizes. */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1);
}

/** Coordinates in the SVG: two decimals are far below a pixel. */
const px = (v: number) => String(Math.round(v * 100) / 100);

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

interface Extent {
  lo: number;
  hi: number;
}

/** The finite values' range, widened a little (and made non-empty) so marks sit inside the frame. */
function extent(values: Iterable<number>, pad = 0.04): Extent {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { lo: 0, hi: 1 };
  if (hi === lo) return { lo: lo - (Math.abs(lo) || 1) * 0.5, hi: hi + (Math.abs(hi) || 1) * 0.5 };
  const d = (hi - lo) * pad;
  return { lo: lo - d, hi: hi + d };
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const FRAME: Frame = { width: 440, height: 300, left: 64, right: 16, top: 12, bottom: 44 };

function scale(domain: Extent, from: number, to: number): (v: number) => number {
  const k = (to - from) / (domain.hi - domain.lo);
  return (v) => from + (v - domain.lo) * k;
}

/** What names and explains a chart: `data-chart` name, accessible label, caption (HTML, escaped by the caller). */
export interface ChartText {
  readonly name: string;
  readonly label: string;
  readonly caption: string;
}

export interface ChartSvg {
  /** The `<figure>` with the SVG and its caption. */
  readonly html: string;
  /** Marks drawn (finite data only). */
  readonly marks: number;
}

function figure(
  name: string,
  frame: Frame,
  label: string,
  body: string,
  caption: string,
  marks: number,
): ChartSvg {
  return {
    html:
      `<figure class="chart" data-chart="${escapeHtml(name)}">` +
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeHtml(label)}">` +
      body +
      `</svg><figcaption>${caption}</figcaption></figure>`,
    marks,
  };
}

/** Axes with ticks and titles; `x`/`y` map data to pixels. */
function axes(
  f: Frame,
  xs: Extent,
  ys: Extent,
  x: (v: number) => number,
  y: (v: number) => number,
  xTitle: string,
  yTitle: string | null,
): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  let s = `<rect class="plot" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`;
  for (const t of ticks(xs.lo, xs.hi)) {
    if (t < xs.lo || t > xs.hi) continue;
    s += `<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="${y1}" y2="${y0}"/>`;
    s += `<text class="tick" x="${px(x(t))}" y="${y0 + 14}" text-anchor="middle">${escapeHtml(formatNumber(t, 3))}</text>`;
  }
  for (const t of yTitle === null ? [] : ticks(ys.lo, ys.hi)) {
    if (t < ys.lo || t > ys.hi) continue;
    s += `<line class="grid" x1="${x0}" x2="${x1}" y1="${px(y(t))}" y2="${px(y(t))}"/>`;
    s += `<text class="tick" x="${x0 - 4}" y="${px(y(t) + 3)}" text-anchor="end">${escapeHtml(formatNumber(t, 3))}</text>`;
  }
  s += `<text class="axis-title" x="${(x0 + x1) / 2}" y="${f.height - 8}" text-anchor="middle">${escapeHtml(xTitle)}</text>`;
  if (yTitle !== null)
    s += `<text class="axis-title" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yTitle)}</text>`;
  return s;
}

export interface ScatterOptions extends ChartText {
  readonly xTitle: string;
  readonly yTitle: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Draw y = x (predicted against actual). */
  readonly diagonal?: boolean;
}

/** One circle per finite (x, y) pair. */
export function scatterChart(o: ScatterOptions): ChartSvg {
  const f = FRAME;
  const both = o.diagonal ? [...o.x, ...o.y] : [];
  const xs = extent(o.diagonal ? both : o.x);
  const ys = o.diagonal ? xs : extent(o.y);
  const x = scale(xs, f.left, f.width - f.right);
  const y = scale(ys, f.height - f.bottom, f.top);
  let body = axes(f, xs, ys, x, y, o.xTitle, o.yTitle);
  if (o.diagonal)
    body += `<line class="reference" x1="${px(x(xs.lo))}" y1="${px(y(xs.lo))}" x2="${px(x(xs.hi))}" y2="${px(y(xs.hi))}"/>`;
  let marks = 0;
  const n = Math.min(o.x.length, o.y.length);
  for (let i = 0; i < n; i++) {
    if (!(Number.isFinite(o.x[i]) && Number.isFinite(o.y[i]))) continue;
    body += `<circle class="mark" cx="${px(x(o.x[i]))}" cy="${px(y(o.y[i]))}" r="2.2"/>`;
    marks++;
  }
  return figure(o.name, f, o.label, body, o.caption, marks);
}

export interface HistogramOptions extends ChartText {
  readonly xTitle: string;
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

/** One bar per bin (an empty bin is a bar of height 0: it is still a datum). */
export function histogramChart(o: HistogramOptions): ChartSvg {
  const f = FRAME;
  const xs = extent(o.edges, 0);
  const top = Math.max(1, ...o.counts.filter(Number.isFinite));
  const ys = { lo: 0, hi: top * 1.05 };
  const x = scale(xs, f.left, f.width - f.right);
  const y = scale(ys, f.height - f.bottom, f.top);
  let body = axes(f, xs, ys, x, y, o.xTitle, 'rows');
  let marks = 0;
  for (let i = 0; i < o.counts.length; i++) {
    const c = o.counts[i];
    const a = o.edges[i];
    const b = o.edges[i + 1];
    if (!(Number.isFinite(c) && Number.isFinite(a) && Number.isFinite(b))) continue;
    const h = y(0) - y(c);
    body +=
      `<rect class="mark" x="${px(x(a))}" y="${px(y(c))}" width="${px(Math.max(0.5, x(b) - x(a) - 0.5))}" height="${px(h)}">` +
      `<title>${escapeHtml(`${formatNumber(a)} to ${formatNumber(b)}: ${c} rows`)}</title></rect>`;
    marks++;
  }
  return figure(o.name, f, o.label, body, o.caption, marks);
}

export interface IntervalRow {
  readonly label: string;
  readonly value: number;
  /** The interval around `value` (omitted: no whisker). */
  readonly lo?: number;
  readonly hi?: number;
}

export interface IntervalOptions extends ChartText {
  readonly xTitle: string;
  readonly rows: readonly IntervalRow[];
  /** 'bar': a bar from 0 to the value; 'dot': a dot at the value. */
  readonly style: 'bar' | 'dot';
}

/** Horizontal: one mark per row (bar or dot), an interval whisker where given, the row's label on the left. */
export function intervalChart(o: IntervalOptions): ChartSvg {
  const rowHeight = o.style === 'bar' ? 26 : 18;
  const longest = Math.max(4, ...o.rows.map((r) => r.label.length));
  const left = Math.min(220, 12 + longest * 6.6);
  const f: Frame = {
    width: 560,
    height: 12 + 44 + rowHeight * Math.max(1, o.rows.length),
    left,
    right: 20,
    top: 12,
    bottom: 44,
  };
  const values: number[] = [];
  for (const r of o.rows) values.push(r.value, r.lo ?? r.value, r.hi ?? r.value);
  if (o.style === 'bar') values.push(0);
  const xs = extent(values);
  const x = scale(xs, f.left, f.width - f.right);
  const band = (i: number) => f.top + i * rowHeight;
  let body = axes(f, xs, { lo: 0, hi: 1 }, x, () => 0, o.xTitle, null);
  if (o.style === 'bar' && xs.lo < 0 && xs.hi > 0)
    body += `<line class="reference" x1="${px(x(0))}" x2="${px(x(0))}" y1="${f.top}" y2="${f.height - f.bottom}"/>`;
  let marks = 0;
  o.rows.forEach((r, i) => {
    const mid = band(i) + rowHeight / 2;
    const clipped = r.label.length > 32 ? `${r.label.slice(0, 31)}…` : r.label;
    body += `<text class="row-label" x="${f.left - 6}" y="${px(mid + 4)}" text-anchor="end">${escapeHtml(clipped)}<title>${escapeHtml(r.label)}</title></text>`;
    if (!Number.isFinite(r.value)) return;
    const tip = escapeHtml(
      `${r.label}: ${formatNumber(r.value)}` +
        (r.lo !== undefined && r.hi !== undefined ? ` (${formatNumber(r.lo)} to ${formatNumber(r.hi)})` : ''),
    );
    if (o.style === 'bar') {
      const a = x(Math.min(0, r.value));
      const b = x(Math.max(0, r.value));
      body += `<rect class="mark" x="${px(a)}" y="${px(band(i) + 5)}" width="${px(Math.max(1, b - a))}" height="${rowHeight - 10}"><title>${tip}</title></rect>`;
    } else {
      body += `<circle class="mark" cx="${px(x(r.value))}" cy="${px(mid)}" r="3.5"><title>${tip}</title></circle>`;
    }
    marks++;
    if (r.lo !== undefined && r.hi !== undefined && Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
      body +=
        `<g class="whisker"><line x1="${px(x(r.lo))}" x2="${px(x(r.hi))}" y1="${px(mid)}" y2="${px(mid)}"/>` +
        `<line x1="${px(x(r.lo))}" x2="${px(x(r.lo))}" y1="${px(mid - 5)}" y2="${px(mid + 5)}"/>` +
        `<line x1="${px(x(r.hi))}" x2="${px(x(r.hi))}" y1="${px(mid - 5)}" y2="${px(mid + 5)}"/></g>`;
    }
  });
  return figure(o.name, f, o.label, body, o.caption, marks);
}

export interface CurveOptions extends ChartText {
  readonly xTitle: string;
  readonly yTitle: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** A curve on the unit square (ROC): one point mark per vertex, joined, with the chance diagonal. */
export function unitCurveChart(o: CurveOptions): ChartSvg {
  const f: Frame = { ...FRAME, width: 340, height: 320 };
  const unit = { lo: 0, hi: 1 };
  const x = scale(unit, f.left, f.width - f.right);
  const y = scale(unit, f.height - f.bottom, f.top);
  let body = axes(f, unit, unit, x, y, o.xTitle, o.yTitle);
  body += `<line class="reference" x1="${px(x(0))}" y1="${px(y(0))}" x2="${px(x(1))}" y2="${px(y(1))}"/>`;
  const pts: string[] = [];
  let dots = '';
  const n = Math.min(o.x.length, o.y.length);
  for (let i = 0; i < n; i++) {
    if (!(Number.isFinite(o.x[i]) && Number.isFinite(o.y[i]))) continue;
    pts.push(`${px(x(o.x[i]))},${px(y(o.y[i]))}`);
    dots += `<circle class="mark" cx="${px(x(o.x[i]))}" cy="${px(y(o.y[i]))}" r="1.8"/>`;
  }
  if (pts.length > 1) body += `<polyline class="curve" points="${pts.join(' ')}"/>`;
  return figure(o.name, f, o.label, body + dots, o.caption, pts.length);
}

export interface MatrixOptions extends ChartText {
  /** Row titles (actual) and column titles (predicted). */
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly rowTitle: string;
  readonly columnTitle: string;
  /** counts[r][c] */
  readonly counts: readonly (readonly number[])[];
}

/** One shaded cell per count, the count written in it. */
export function matrixChart(o: MatrixOptions): ChartSvg {
  const cell = 96;
  const left = 150;
  const top = 40;
  const f: Frame = {
    width: left + cell * o.columns.length + 16,
    height: top + cell * o.rows.length + 16,
    left,
    right: 16,
    top,
    bottom: 16,
  };
  const all = o.counts.flat().filter(Number.isFinite);
  const max = Math.max(1, ...all);
  let body = `<text class="axis-title" x="${left + (cell * o.columns.length) / 2}" y="14" text-anchor="middle">${escapeHtml(o.columnTitle)}</text>`;
  body += `<text class="axis-title" x="10" y="${top - 6}">${escapeHtml(o.rowTitle)}</text>`;
  o.columns.forEach((c, j) => {
    body += `<text class="tick" x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${escapeHtml(c)}</text>`;
  });
  let marks = 0;
  o.rows.forEach((r, i) => {
    body += `<text class="tick" x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(r)}</text>`;
    o.columns.forEach((_, j) => {
      const v = o.counts[i]?.[j];
      if (!Number.isFinite(v)) return;
      const shade = 0.08 + 0.8 * (v / max);
      const x0 = left + j * cell;
      const y0 = top + i * cell;
      body +=
        `<rect class="mark cell" x="${x0 + 1}" y="${y0 + 1}" width="${cell - 2}" height="${cell - 2}" fill-opacity="${px(shade)}"/>` +
        `<text class="cell-count${shade > 0.5 ? ' dark' : ''}" x="${x0 + cell / 2}" y="${y0 + cell / 2 + 6}" text-anchor="middle">${v}</text>`;
      marks++;
    });
  });
  return figure(o.name, f, o.label, body, o.caption, marks);
}
