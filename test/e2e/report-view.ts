/**
 * Looks at a model report as a person would, in headless Debian Chromium (/usr/bin/chromium
 * driven by playwright-core, no browser download): what it draws, not what its HTML says.
 *
 * `viewReport` opens the page from a file and returns every problem it sees:
 * - a console error or an uncaught page error (a blocked script is one: the CSP reports it);
 * - any request beyond the page itself (the report must fetch nothing);
 * - per expected chart: missing, a zero-size box, a mark count other than the data's, a mark
 *   outside the plot area (a coordinate the browser could not read lands at 0), or all marks on
 *   one spot;
 * - a screenshot that is blank: decoded, fewer than 3 colours or under 0.5 % non-white pixels.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** A chart by its `data-chart` name and the number of data it plots. */
export interface ChartExpectation {
  readonly chart: string;
  readonly marks: number;
}

export interface ReportView {
  readonly problems: string[];
  /** Full-page PNG. */
  readonly screenshot: Buffer;
  /** Text the page shows (innerText of the body). */
  readonly text: string;
}

interface ChartSeen {
  readonly found: boolean;
  readonly width: number;
  readonly height: number;
  readonly marks: number;
  readonly outside: number;
  readonly distinct: number;
}

/**
 * In-page code, as source text: the project compiles against Node's types, not the DOM's, and
 * these run in the page. `measureChart(name)` reads one chart's box and marks; `inkOf(b64)`
 * decodes a PNG with the browser's image decoder onto a canvas and counts colours and ink.
 */
const MEASURE_CHART = `(name) => {
  const svg = document.querySelector('figure[data-chart="' + name + '"] svg');
  if (!svg) return { found: false, width: 0, height: 0, marks: 0, outside: 0, distinct: 0 };
  const box = svg.getBoundingClientRect();
  const area = (svg.querySelector('rect.plot') || svg).getBoundingClientRect();
  const slack = 3;
  let outside = 0;
  const centres = new Set();
  const all = Array.from(svg.querySelectorAll('.mark'));
  for (const m of all) {
    const r = m.getBoundingClientRect();
    const ok =
      [r.left, r.right, r.top, r.bottom].every(Number.isFinite) &&
      (r.width > 0 || r.height > 0) &&
      r.left >= area.left - slack && r.right <= area.right + slack &&
      r.top >= area.top - slack && r.bottom <= area.bottom + slack;
    if (!ok) outside++;
    centres.add(Math.round(r.left + r.width / 2) + ',' + Math.round(r.top + r.height / 2));
  }
  return { found: true, width: box.width, height: box.height, marks: all.length, outside, distinct: centres.size };
}`;

const INK_OF = `async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    if (colours.size < 4096) colours.add(rgb);
    if (rgb !== 0xffffff) ink++;
  }
  return { colours: colours.size, ink: ink / (data.length / 4), width: canvas.width, height: canvas.height };
}`;

/** Calls in-page source `fn` with one JSON argument. */
function inPage<T>(page: Page, fn: string, arg: unknown): Promise<T> {
  return page.evaluate(`(${fn})(${JSON.stringify(arg)})`) as Promise<T>;
}

async function inkOf(
  browser: Browser,
  png: Buffer,
): Promise<{ colours: number; ink: number; width: number }> {
  const page = await browser.newPage();
  try {
    return await inPage(page, INK_OF, png.toString('base64'));
  } finally {
    await page.close();
  }
}

export async function viewReport(
  browser: Browser,
  html: string,
  expected: readonly ChartExpectation[],
): Promise<ReportView> {
  const dir = mkdtempSync(join(tmpdir(), 'report-view-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  try {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`fetched ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    for (const { chart, marks } of expected) {
      const seen = await inPage<ChartSeen>(page, MEASURE_CHART, chart);
      if (!seen.found) {
        problems.push(`${chart}: no such chart`);
        continue;
      }
      if (!(seen.width > 0 && seen.height > 0))
        problems.push(`${chart}: box is ${seen.width} × ${seen.height}`);
      if (seen.marks !== marks) problems.push(`${chart}: ${seen.marks} marks, the data has ${marks}`);
      if (seen.outside > 0) problems.push(`${chart}: ${seen.outside} marks outside the plot area`);
      if (seen.marks >= 2 && seen.distinct < 2)
        problems.push(`${chart}: all ${seen.marks} marks on one spot`);
    }
    const screenshot = await page.screenshot({ fullPage: true, type: 'png' });
    const { colours, ink } = await inkOf(browser, screenshot);
    if (colours < 3 || ink < 0.005)
      problems.push(`blank screenshot: ${colours} colours, ${(ink * 100).toFixed(2)} % non-white pixels`);
    const text = await inPage<string>(page, '() => document.body.innerText', null);
    return { problems, screenshot, text };
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
