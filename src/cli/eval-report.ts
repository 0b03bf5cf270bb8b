/**
 * The files and console tables of `camlab eval`, written from the summary and the per-image
 * records only, so a single run and merged shards write the same bytes. Timings are not part of
 * them (they differ between runs): they go to timing.json and the console.
 */
import { join } from 'node:path';
import type { EvalRecord, EvalSummary, GroupMetrics, MethodTiming } from '../cam/evaluate/index.js';
import { barsSvg, curvesSvg, escapeXml as esc, type BarPanel } from '../cam/plots.js';
import { enlarge, overlay } from '../cam/render.js';
import { inputToImage } from '../io/image.js';
import { encodePng } from '../io/png.js';
import type { EvalSample } from '../cam/evaluate/dataset.js';
import { Tensor } from '../tensor/tensor.js';
import type { OutputFolder } from './output.js';
import { displayFactor, duration, table } from './report.js';

/** What summary.json holds: the evaluation's summary and the command that reproduces it. */
export type EvalReport = { command: string } & EvalSummary;

/** Wall and CPU time of a run, and CPU ms per method (timing.json, the console). */
export interface EvalTiming {
  seconds: number;
  cpuSeconds: number;
  sharedMs: number;
  methods: Record<string, MethodTiming>;
}

/** What index.html shows besides the summary: class names and how many first images have example pictures. */
export interface ReportPage {
  classes: readonly string[];
  examples: number;
}

const TIMING_HEADER = ['method', 'explain', 'AD+loc', 'curves', 'stability', 'total s'];

function safeName(method: string): string {
  return method.replace(/\+/g, 'p').replace(/[^a-zA-Z0-9_-]/g, '_');
}

function csvNum(v: number | null): string {
  if (v === null) return '';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
}

/** The example pictures of an image, relative to the report folder: input, objects (with masks), one overlay per method. */
export function exampleFiles(image: number, hasMask: boolean, methods: readonly string[]): string[] {
  return [
    join('examples', `img${image}-input.png`),
    ...(hasMask ? [join('examples', `img${image}-mask.png`)] : []),
    ...methods.map((m) => join('examples', `img${image}-${safeName(m)}.png`)),
  ];
}

/**
 * Writes the example pictures of the given images: the [0, 1] pixels as a picture, the objects
 * (picture dimmed to 25% outside the instance masks) and each method's overlay.
 */
export function writeExamplePictures(out: OutputFolder, examples: ReadonlyArray<{ image: number; sample: EvalSample }>, methods: readonly string[], maps: ReadonlyMap<string, Float64Array>, shape: readonly [number, number, number]): void {
  const [c, h, w] = shape;
  const k = displayFactor(w);
  for (const { image, sample } of examples) {
    const picture = inputToImage(new Tensor(Float64Array.from(sample.x), [1, c, h, w]), { channels: c, height: h, width: w });
    const files = exampleFiles(image, sample.instances !== undefined, methods);
    const pngs = [encodePng(enlarge(picture, k))];
    if (sample.instances !== undefined) {
      const gt = new Uint8Array(picture.data);
      for (let i = 0; i < w * h; i++) {
        if (sample.instances.some((m) => m[i] !== 0)) continue;
        for (let j = 0; j < 3; j++) gt[4 * i + j] = Math.round(gt[4 * i + j]! * 0.25);
      }
      pngs.push(encodePng(enlarge({ width: w, height: h, data: gt }, k)));
    }
    for (const m of methods) pngs.push(encodePng(enlarge(overlay(picture, new Tensor(maps.get(`${image}:${m}`)!, [h, w])), k)));
    pngs.forEach((png, i) => out.write(files[i]!, png));
  }
}

interface MetricTable {
  key: string;
  title: string;
  note: string;
  rows: string[][];
}

/** The per-metric tables (a row per method, a column per group) shared by the console and index.html. */
export function metricTables(s: EvalSummary): MetricTable[] {
  const f = (v: number | null | undefined, d: number): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  const defs: Array<{ key: string; title: string; note: string; get: (g: GroupMetrics) => number | null; digits: number; masks?: boolean }> = [
    { key: 'averageDrop', title: 'Average Drop %', note: 'lower is better', get: (g) => g.averageDrop, digits: 2 },
    { key: 'increaseInConfidence', title: 'Increase in Confidence %', note: 'higher is better', get: (g) => g.increaseInConfidence, digits: 1 },
    { key: 'deletionAuc', title: 'Deletion AUC', note: 'lower is better', get: (g) => g.deletionAuc, digits: 4 },
    { key: 'insertionAuc', title: 'Insertion AUC', note: 'higher is better', get: (g) => g.insertionAuc, digits: 4 },
    { key: 'energy', title: 'Energy inside the objects (Σ_mask map / Σ map)', note: 'higher is better', get: (g) => g.energy, digits: 3, masks: true },
    { key: 'pointing', title: 'Pointing game hits %', note: 'higher is better', get: (g) => g.pointing, digits: 1, masks: true },
    ...s.settings.thresholds.map((t) => ({ key: `coverage@${t}`, title: `Instance coverage % at t = ${t} (instances whose mask holds a map value ≥ t)`, note: 'higher is better', get: (g: GroupMetrics) => g.coverage?.[String(t)] ?? null, digits: 1, masks: true })),
    { key: 'totalVariation', title: 'Total variation of the map', note: 'lower is smoother', get: (g) => g.totalVariation, digits: 4 },
    { key: 'stability', title: `Stability: Pearson r of the maps under two input noises σ = ${s.settings.stabilityNoise}`, note: 'higher is more stable', get: (g) => g.stability, digits: 3 },
    { key: 'flat', title: 'Flat maps (no positive evidence; returned as zeros)', note: 'count', get: (g) => g.flat, digits: 0 },
  ];
  return defs
    .filter((d) => !d.masks || s.localization)
    .map((d) => ({ key: d.key, title: d.title, note: d.note, rows: s.methods.map((m) => [m, ...s.groups.map((g) => f(d.get(s.results[m]![g]!), d.digits))]) }));
}

function groupLabel(g: string): string {
  return g === 'all' ? 'all images' : `${g} instance${g === '1' ? '' : 's'}`;
}

function barPanels(s: EvalSummary): BarPanel[] {
  const series = (get: (g: GroupMetrics) => number | null): BarPanel['series'] =>
    s.groups.map((g) => ({ label: groupLabel(g), values: s.methods.map((m) => get(s.results[m]![g]!)) }));
  const panels: BarPanel[] = [
    { title: 'Average Drop %', note: 'lower is better', categories: s.methods, series: series((g) => g.averageDrop), digits: 1 },
    { title: 'Increase in Confidence %', note: 'higher is better', categories: s.methods, series: series((g) => g.increaseInConfidence), digits: 1 },
    { title: 'Deletion AUC', note: 'lower is better', categories: s.methods, series: series((g) => g.deletionAuc), digits: 2 },
    { title: 'Insertion AUC', note: 'higher is better', categories: s.methods, series: series((g) => g.insertionAuc), digits: 2 },
  ];
  if (s.localization) {
    panels.push(
      { title: 'Energy inside the objects', note: 'higher is better', categories: s.methods, series: series((g) => g.energy), digits: 2 },
      { title: 'Pointing game hits %', note: 'higher is better', categories: s.methods, series: series((g) => g.pointing), digits: 0 },
      { title: 'Instance coverage % (t = 0.5)', note: 'higher is better', categories: s.methods, series: series((g) => g.coverage?.['0.5'] ?? null), digits: 0 },
    );
  }
  panels.push(
    { title: 'Total variation', note: 'lower is smoother', categories: s.methods, series: series((g) => g.totalVariation), digits: 3 },
    { title: 'Stability (Pearson r)', note: 'higher is more stable', categories: s.methods, series: series((g) => g.stability), digits: 2 },
  );
  return panels;
}

function csv(records: readonly EvalRecord[], thresholds: readonly number[]): string {
  const thresholdCols = thresholds.map((t) => `covered_${t}`);
  return [
    ['image', 'label', 'instances', 'predicted', 'class', 'correct', 'method', 'flat', 'y', 'o', 'drop', 'increase', 'deletion_auc', 'insertion_auc', 'energy', 'pointing', ...thresholdCols, 'total_variation', 'stability'].join(','),
    ...records.map((r) => [
      r.image, r.label, r.instances ?? '', r.predicted, r.cls, r.predicted === r.label ? 1 : 0, r.method, r.flat ? 1 : 0,
      csvNum(r.y), csvNum(r.o), csvNum(r.drop), r.increase ? 1 : 0, csvNum(r.deletionAuc), csvNum(r.insertionAuc),
      csvNum(r.energy), r.pointing === null ? '' : r.pointing ? 1 : 0, ...thresholds.map((_, ti) => (r.covered === null ? '' : r.covered[ti]!)),
      csvNum(r.tv), csvNum(r.stability),
    ].join(',')),
  ].join('\n');
}

/** Prints the accuracy, a table per metric and the Win % table. */
export function logTables(s: EvalSummary, log: (s: string) => void): void {
  const groupTitle = (g: string): string => (g === 'all' ? 'all' : `${g} inst.`);
  log('');
  log(`accuracy on these images: ${s.groups.map((g) => `${groupTitle(g)} ${s.accuracy[g]!.toFixed(1)}%`).join(', ')} (explained class: ${s.settings.explained})`);
  for (const t of metricTables(s)) {
    log('');
    log(`${t.title} — ${t.note}`);
    log(table(['method', ...s.groups.map(groupTitle)], t.rows));
  }
  if (s.methods.length > 1) {
    log('');
    log('Win % (row beats column: smaller drop; drops within 1e-6 points tie and count for neither), all images');
    log(table(['method', ...s.methods], s.methods.map((a) => [a, ...s.methods.map((b) => (a === b ? '-' : s.win[a]![b]!.first.toFixed(1)))])));
  }
}

/** Prints CPU ms per image and method (curves per curve image, stability per stability image). */
export function logTiming(s: EvalSummary, t: EvalTiming, log: (s: string) => void): void {
  log('');
  log(`time: CPU ms per image (curves per curve image, stability per stability image) and total CPU s per method; ${duration(t.seconds)} wall, ${duration(t.cpuSeconds)} CPU in all, shared passes ${(t.sharedMs / 1000).toFixed(1)} s`);
  log(table(TIMING_HEADER, timingRows(s, t)));
}

function timingRows(s: EvalSummary, t: EvalTiming): string[][] {
  const { images, curveImages, stabilityImages } = { images: s.images, ...s.settings };
  return s.methods.map((m) => {
    const mt = t.methods[m]!;
    const per = (ms: number, n: number): string => (n === 0 ? '-' : (ms / n).toFixed(1));
    return [m, per(mt.explain, images), per(mt.confidence, images), per(mt.curves, curveImages), per(mt.stability, stabilityImages), ((mt.explain + mt.confidence + mt.curves + mt.stability) / 1000).toFixed(1)];
  });
}

/**
 * Stages results.csv, summary.json, timing.json, curves.svg, bars.svg and index.html in `out`
 * (the example pictures must already be in out/examples). Everything but timing.json depends
 * on the summary and the records only.
 */
export function writeReport(out: OutputFolder, report: EvalReport, records: readonly EvalRecord[], timing: EvalTiming, page: ReportPage): string[] {
  const s = report;
  const st = s.settings;
  out.write('results.csv', `${csv(records, st.thresholds)}\n`);
  out.write('summary.json', `${JSON.stringify(report, null, 2)}\n`);
  out.write('timing.json', `${JSON.stringify({
    seconds: timing.seconds, cpuSeconds: timing.cpuSeconds, sharedCpuSeconds: timing.sharedMs / 1000, images: s.images, curveImages: st.curveImages, stabilityImages: st.stabilityImages,
    perMethod: Object.fromEntries(s.methods.map((m) => {
      const t = timing.methods[m]!;
      return [m, {
        explainMsPerImage: t.explain / s.images, confidenceMsPerImage: t.confidence / s.images,
        curvesMsPerImage: st.curveImages > 0 ? t.curves / st.curveImages : null, stabilityMsPerImage: st.stabilityImages > 0 ? t.stability / st.stabilityImages : null,
        totalSeconds: (t.explain + t.confidence + t.curves + t.stability) / 1000,
      }];
    })),
  }, null, 2)}\n`);
  const curveOrNaN = (c: number[]): number[] => (c.length === s.fractions.length ? c : s.fractions.map(() => NaN));
  out.write('curves.svg', curvesSvg([
    { title: 'Deletion', note: 'most salient pixels removed first; lower is better', xLabel: 'fraction of pixels deleted', yLabel: 'probability of the explained class', yRange: [0, 1], series: s.methods.map((m) => ({ label: m, x: s.fractions, y: curveOrNaN(s.results[m]!.all!.meanDeletion) })) },
    { title: 'Insertion', note: 'most salient pixels inserted first; higher is better', xLabel: 'fraction of pixels inserted', yLabel: 'probability of the explained class', yRange: [0, 1], series: s.methods.map((m) => ({ label: m, x: s.fractions, y: curveOrNaN(s.results[m]!.all!.meanInsertion) })) },
  ], { title: `Mean deletion and insertion curves, ${st.curveImages} ${s.data} images (${s.model}, layer ${s.layer})` }));
  out.write('bars.svg', barsSvg(barPanels(s), { title: `Per-method metrics, ${s.images} ${s.data} images (${s.model}, layer ${s.layer})` }));
  out.write('index.html', html(report, records, page));
  return ['results.csv', 'summary.json', 'timing.json', 'curves.svg', 'bars.svg', 'index.html'].map((f) => out.path(f));
}

function html(s: EvalReport, records: readonly EvalRecord[], page: ReportPage): string {
  const tableHtml = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
    `<table><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>\n${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')}</table>`;
  const tables = metricTables(s).map((t) => `<h3>${esc(t.title)} <small>(${esc(t.note)})</small></h3>\n${tableHtml(['method', ...s.groups.map(groupLabel)], t.rows)}`).join('\n');
  const win = s.methods.length > 1
    ? `<h3>Win % <small>(row beats column: its drop is smaller; drops within 10⁻⁶ points tie and count for neither)</small></h3>\n${tableHtml(['method', ...s.methods], s.methods.map((a) => [a, ...s.methods.map((b) => (a === b ? '-' : s.win[a]![b]!.first.toFixed(1)))]))}`
    : '';
  // One example row per image whose pictures were written (the first images), captioned from its record.
  const firstMethod = s.methods[0]!;
  const examples = records.filter((r) => r.method === firstMethod && r.image < page.examples);
  const name = (c: number): string => page.classes[c] ?? String(c);
  const hasMask = s.localization;
  const exHead = `<tr><th>input</th>${hasMask ? '<th>objects</th>' : ''}${s.methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const exRows = examples.map((r) => {
    const files = exampleFiles(r.image, hasMask, s.methods);
    const inst = r.instances !== null ? `, ${r.instances} instance${r.instances === 1 ? '' : 's'}` : '';
    const caption = `image ${r.image}: ${name(r.label)}${inst}; predicted ${name(r.predicted)}; explained ${name(r.cls)} (p = ${r.y.toFixed(3)})`;
    return `<tr>${files.map((f) => `<td><img src="${esc(f)}" alt="${esc(f)}"></td>`).join('')}</tr>\n<tr><td colspan="${files.length}" class="cap">${esc(caption)}</td></tr>`;
  }).join('\n');
  const st = s.settings;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camlab eval: ${esc(s.data)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1400px}table{border-collapse:collapse;margin-bottom:1em}td,th{padding:4px 8px;text-align:right;border-bottom:1px solid #ddd;font-size:13px}th:first-child{text-align:left}img{width:128px;image-rendering:pixelated}.plots img{width:auto;max-width:100%;image-rendering:auto}.cap{text-align:left;color:#555}.ex th,.ex td{text-align:center}small{font-weight:normal;color:#666}</style>
</head><body>
<h1>camlab eval: ${s.images} ${esc(s.data)} images, ${esc(s.model)}, layer ${esc(s.layer)}</h1>
<p><code>${esc(s.command)}</code></p>
<p>Every method explains the <b>${st.explained === 'predicted' ? 'predicted' : 'ground-truth'}</b> class of each image. Masking and perturbation in ${esc(st.space)} space.
Deletion/insertion: ${st.steps} steps, baseline ${esc(st.baseline.deletion)} (deletion) / ${esc(st.baseline.insertion)} (insertion), on the first ${st.curveImages} images.
Smooth methods: ${st.samples} noisy samples. Stability: two input noises of σ = ${st.stabilityNoise} (pixel units) on ${st.stabilityImages} images. Seed ${st.seed}.
Model accuracy on these images: ${s.groups.map((g) => `${esc(groupLabel(g))} ${s.accuracy[g]!.toFixed(1)}%`).join(', ')}.
Run times (they differ between runs, so they are not in this page): <a href="timing.json">timing.json</a>.</p>
<div class="plots"><img src="curves.svg" alt="mean deletion and insertion curves"><br><img src="bars.svg" alt="per-method metrics"></div>
<h2>Tables</h2>
${tables}
${win}
<h2>Examples</h2>
<p>Overlays (jet colormap, red = most salient) of the explained class's map.${hasMask ? ' "objects" shows the ground-truth instances (background dimmed).' : ''}</p>
<table class="ex">${exHead}
${exRows}
</table>
</body></html>
`;
}
