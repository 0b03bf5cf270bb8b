import { fail } from '../tensor/errors.js';

/**
 * Dependency-free SVG charts for evaluation reports: line charts of deletion/insertion curves and
 * grouped bar charts of per-method metrics. Pure string building (no DOM), deterministic output:
 * the same data gives the same bytes.
 */

/** Colours for series, in order (the Tableau 10 palette). */
export const PLOT_COLORS: readonly string[] = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** One line: points (x[i], y[i]). */
export interface CurveSeries {
  label: string;
  x: readonly number[];
  y: readonly number[];
}

/** One chart of a curve figure. */
export interface CurvePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly CurveSeries[];
  /** Axis ranges (default x [0, 1]; y from 0 to the data maximum rounded up to a tick). */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** A short line under the title, e.g. "lower is better". */
  note?: string;
}

export interface FigureOptions {
  /** A title above all panels. */
  title?: string;
  /** Size of one panel in pixels (default 420 x 300 for curves, 300 x 260 for bars). */
  panelWidth?: number;
  panelHeight?: number;
  /** Panels per row (default: all curve panels in one row, 3 bar panels per row). */
  columns?: number;
}

/** One chart of a bar figure: a group of bars per category (e.g. per method), one bar per series. */
export interface BarPanel {
  title: string;
  note?: string;
  /** Category labels along the x axis (e.g. method names). */
  categories: readonly string[];
  /** One value per category for each series (null = no value, no bar). One series: no legend. */
  series: ReadonlyArray<{ label: string; values: ReadonlyArray<number | null> }>;
  /** y range (default from min(0, data) to max(0, data), widened to ticks). */
  yRange?: readonly [number, number];
  /** Digits after the decimal point of the value printed on each bar (default 2; −1 = no value labels). */
  digits?: number;
}

/** XML text escaping for labels. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number printed compactly and deterministically for SVG coordinates. */
function n(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * Ticks for an axis: a "nice" step (1, 2 or 5 × 10^k) giving about `target` intervals, and the
 * range widened outward to whole steps.
 */
export function niceTicks(lo: number, hi: number, target = 5): { lo: number; hi: number; ticks: number[] } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) fail('niceTicks', `range must be finite, got [${lo}, ${hi}]`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= lo === 0 ? 0 : pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const a = Math.floor(lo / step + 1e-9);
  const b = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { lo: a * step, hi: b * step, ticks };
}

function tickLabel(v: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(digits);
}

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/** Axes with ticks, grid lines, labels and a title; returns the SVG and the data → pixel maps. */
function axes(
  f: Frame, title: string, note: string | undefined, xLabel: string, yLabel: string,
  xr: { lo: number; hi: number; ticks: number[] } | null, yr: { lo: number; hi: number; ticks: number[] },
): { svg: string[]; px: (x: number) => number; py: (y: number) => number } {
  const svg: string[] = [];
  const px = (x: number): number => (xr === null ? f.x0 : f.x0 + ((x - xr.lo) / (xr.hi - xr.lo)) * f.w);
  const py = (y: number): number => f.y0 + f.h - ((y - yr.lo) / (yr.hi - yr.lo)) * f.h;
  svg.push(`<text x="${n(f.x0 + f.w / 2)}" y="${n(f.y0 - (note ? 22 : 10))}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  if (note) svg.push(`<text x="${n(f.x0 + f.w / 2)}" y="${n(f.y0 - 8)}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(note)}</text>`);
  for (const t of yr.ticks) {
    const y = py(t);
    svg.push(`<line x1="${n(f.x0)}" y1="${n(y)}" x2="${n(f.x0 + f.w)}" y2="${n(y)}" stroke="#e5e5e5"/>`);
    svg.push(`<text x="${n(f.x0 - 6)}" y="${n(y + 4)}" text-anchor="end" font-size="11">${tickLabel(t, yr.ticks)}</text>`);
  }
  if (xr !== null) {
    for (const t of xr.ticks) {
      const x = px(t);
      svg.push(`<line x1="${n(x)}" y1="${n(f.y0)}" x2="${n(x)}" y2="${n(f.y0 + f.h)}" stroke="#eeeeee"/>`);
      svg.push(`<text x="${n(x)}" y="${n(f.y0 + f.h + 16)}" text-anchor="middle" font-size="11">${tickLabel(t, xr.ticks)}</text>`);
    }
  }
  svg.push(`<line x1="${n(f.x0)}" y1="${n(f.y0 + f.h)}" x2="${n(f.x0 + f.w)}" y2="${n(f.y0 + f.h)}" stroke="#333"/>`);
  svg.push(`<line x1="${n(f.x0)}" y1="${n(f.y0)}" x2="${n(f.x0)}" y2="${n(f.y0 + f.h)}" stroke="#333"/>`);
  if (xLabel) svg.push(`<text x="${n(f.x0 + f.w / 2)}" y="${n(f.y0 + f.h + 34)}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`);
  if (yLabel) svg.push(`<text transform="translate(${n(f.x0 - 40)},${n(f.y0 + f.h / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(yLabel)}</text>`);
  return { svg, px, py };
}

function legend(x: number, y: number, labels: readonly string[], width: number, kind: 'line' | 'box'): { svg: string[]; height: number } {
  const svg: string[] = [];
  const itemW = Math.max(90, ...labels.map((l) => 28 + 7 * l.length));
  const perRow = Math.max(1, Math.floor(width / itemW));
  labels.forEach((l, i) => {
    const cx = x + (i % perRow) * itemW;
    const cy = y + Math.floor(i / perRow) * 18;
    const color = PLOT_COLORS[i % PLOT_COLORS.length]!;
    svg.push(kind === 'line'
      ? `<line x1="${n(cx)}" y1="${n(cy)}" x2="${n(cx + 18)}" y2="${n(cy)}" stroke="${color}" stroke-width="2.5"/>`
      : `<rect x="${n(cx + 4)}" y="${n(cy - 6)}" width="12" height="12" fill="${color}"/>`);
    svg.push(`<text x="${n(cx + 24)}" y="${n(cy + 4)}" font-size="12">${escapeXml(l)}</text>`);
  });
  return { svg, height: Math.ceil(labels.length / perRow) * 18 };
}

function wrap(width: number, height: number, body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="system-ui, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body.join('\n')}
</svg>
`;
}

function checkPanelSize(op: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 50)) fail(op, `panel sizes must be at least 50 pixels, got ${v}`);
  return v;
}

/**
 * Line charts of curves (e.g. mean deletion and insertion curves per method), one panel per
 * chart, a shared legend (series are matched across panels by position and coloured alike).
 * Returns an SVG document as a string.
 */
export function curvesSvg(panels: readonly CurvePanel[], opts: FigureOptions = {}): string {
  const op = 'curvesSvg';
  if (panels.length === 0) fail(op, 'needs at least one panel');
  const pw = checkPanelSize(op, opts.panelWidth ?? 420);
  const ph = checkPanelSize(op, opts.panelHeight ?? 300);
  const cols = Math.max(1, Math.min(opts.columns ?? panels.length, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const margin = { left: 60, right: 20, top: 50, bottom: 48 };
  const cellW = margin.left + pw + margin.right;
  const cellH = margin.top + ph + margin.bottom;
  const titleH = opts.title ? 30 : 0;
  const labels = panels[0]!.series.map((s) => s.label);
  const body: string[] = [];
  if (opts.title) body.push(`<text x="${n((cols * cellW) / 2)}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>`);
  panels.forEach((p, idx) => {
    p.series.forEach((s, i) => {
      if (s.x.length !== s.y.length) fail(op, `panel '${p.title}', series '${s.label}' (${i}): ${s.x.length} x values but ${s.y.length} y values`);
    });
    const col = idx % cols;
    const row = Math.floor(idx / cols);
    const f: Frame = { x0: col * cellW + margin.left, y0: titleH + row * cellH + margin.top, w: pw, h: ph };
    const finite = p.series.flatMap((s) => s.y.filter((v) => Number.isFinite(v)));
    const xs = p.series.flatMap((s) => s.x.filter((v) => Number.isFinite(v)));
    const xr = p.xRange ?? [xs.length ? Math.min(0, ...xs) : 0, xs.length ? Math.max(1, ...xs) : 1];
    const yr = p.yRange ?? [Math.min(0, ...finite), finite.length ? Math.max(...finite) : 1];
    const xt = niceTicks(xr[0], xr[1]);
    const yt = niceTicks(yr[0], yr[1]);
    const a = axes(f, p.title, p.note, p.xLabel, p.yLabel, xt, yt);
    body.push(`<g>`, ...a.svg);
    p.series.forEach((s, i) => {
      const pts: string[] = [];
      for (let k = 0; k < s.x.length; k++) {
        if (Number.isFinite(s.x[k]) && Number.isFinite(s.y[k])) pts.push(`${n(a.px(s.x[k]!))},${n(a.py(s.y[k]!))}`);
      }
      if (pts.length > 0) body.push(`<polyline fill="none" stroke="${PLOT_COLORS[i % PLOT_COLORS.length]}" stroke-width="2" points="${pts.join(' ')}"><title>${escapeXml(s.label)}</title></polyline>`);
    });
    body.push(`</g>`);
  });
  const width = cols * cellW;
  const lg = legend(margin.left, titleH + rows * cellH + 6, labels, width - margin.left, 'line');
  body.push(...lg.svg);
  return wrap(width, titleH + rows * cellH + lg.height + 16, body);
}

/**
 * Grouped bar charts, one panel per metric: a group per category (e.g. per method) with one bar
 * per series (e.g. all images, or per instance count), value labels on the bars, category labels
 * rotated under the axis, and a legend when there is more than one series. Returns an SVG string.
 */
export function barsSvg(panels: readonly BarPanel[], opts: FigureOptions = {}): string {
  const op = 'barsSvg';
  if (panels.length === 0) fail(op, 'needs at least one panel');
  const pw = checkPanelSize(op, opts.panelWidth ?? 300);
  const ph = checkPanelSize(op, opts.panelHeight ?? 260);
  const cols = Math.max(1, Math.min(opts.columns ?? 3, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const longest = Math.max(...panels.flatMap((p) => p.categories.map((c) => c.length)), 1);
  const margin = { left: 60, right: 20, top: 50, bottom: 24 + Math.ceil(longest * 6.2 * 0.72) };
  const cellW = margin.left + pw + margin.right;
  const cellH = margin.top + ph + margin.bottom;
  const titleH = opts.title ? 30 : 0;
  const body: string[] = [];
  if (opts.title) body.push(`<text x="${n((cols * cellW) / 2)}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>`);
  const seriesLabels = panels[0]!.series.map((s) => s.label);
  panels.forEach((p, idx) => {
    p.series.forEach((s) => {
      if (s.values.length !== p.categories.length) fail(op, `panel '${p.title}', series '${s.label}': ${s.values.length} values for ${p.categories.length} categories`);
    });
    const col = idx % cols;
    const row = Math.floor(idx / cols);
    const f: Frame = { x0: col * cellW + margin.left, y0: titleH + row * cellH + margin.top, w: pw, h: ph };
    const vals = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
    const yr = p.yRange ?? [Math.min(0, ...vals), Math.max(0, ...vals)];
    const yt = niceTicks(yr[0], yr[1]);
    const a = axes(f, p.title, p.note, '', '', null, yt);
    body.push(`<g>`, ...a.svg);
    const groupW = f.w / Math.max(1, p.categories.length);
    const ns = Math.max(1, p.series.length);
    const barW = (groupW * 0.8) / ns;
    const digits = p.digits ?? 2;
    p.categories.forEach((c, ci) => {
      const gx = f.x0 + ci * groupW + groupW * 0.1;
      p.series.forEach((s, si) => {
        const v = s.values[ci];
        if (v === null || v === undefined || !Number.isFinite(v)) return;
        const y0 = a.py(Math.max(yt.lo, Math.min(yt.hi, 0)));
        const y1 = a.py(Math.max(yt.lo, Math.min(yt.hi, v)));
        const x = gx + si * barW;
        const color = PLOT_COLORS[(ns > 1 ? si : ci) % PLOT_COLORS.length]!;
        body.push(`<rect x="${n(x)}" y="${n(Math.min(y0, y1))}" width="${n(Math.max(0.5, barW - 1))}" height="${n(Math.abs(y1 - y0))}" fill="${color}"><title>${escapeXml(`${c} ${s.label}: ${v}`)}</title></rect>`);
        if (digits >= 0 && barW >= 14) {
          body.push(`<text x="${n(x + barW / 2)}" y="${n(Math.min(y0, y1) - 3)}" text-anchor="middle" font-size="${ns > 2 ? 8 : 10}">${v.toFixed(digits)}</text>`);
        }
      });
      const lx = f.x0 + (ci + 0.5) * groupW;
      const ly = f.y0 + f.h + 12;
      body.push(`<text transform="translate(${n(lx)},${n(ly)}) rotate(-45)" text-anchor="end" font-size="11">${escapeXml(c)}</text>`);
    });
    body.push(`</g>`);
  });
  const width = cols * cellW;
  let height = titleH + rows * cellH;
  if (seriesLabels.length > 1) {
    const lg = legend(margin.left, height + 6, seriesLabels, width - margin.left, 'box');
    body.push(...lg.svg);
    height += lg.height + 16;
  }
  return wrap(width, height, body);
}
