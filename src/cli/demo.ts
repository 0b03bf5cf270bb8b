import { writeFileSync, mkdirSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { explain, METHOD_NAMES } from '../cam/methods.js';
import { DEFAULT_NOISE_SAMPLES } from '../cam/noise.js';
import { escapeXml as esc } from '../cam/plots.js';
import { enlarge } from '../cam/render.js';
import type { Classifier } from '../io/classifier.js';
import { inputToImage } from '../io/image.js';
import { encodePng } from '../io/png.js';
import { topClasses } from '../cam/classify.js';
import { CamlabError } from '../tensor/errors.js';
import { numberValue, parseArgs, value } from './args.js';
import { imageFiles, loadClassifier, readImage, ROOT } from '../node/files.js';
import { acceptingNames, checkMethodFlags, chosenMethods, type MethodFlag } from './method-flags.js';
import { displayFactor, table, writeGrid, writeMapImages } from './report.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';

const FLAGS: readonly MethodFlag[] = [{ flag: 'samples', option: 'samples' }];

export const DEMO_HELP = `camlab demo [--out DIR] [--method M]... [--samples N] [--images DIR] [--model M]

The main job: explains every sample image in examples/images/ (shapes-*.png with the bundled
shapes-cnn, mnist-*.png with mnist-cnn) with every method, writes per-method heatmaps and
overlays, a comparison grid per image and an index.html report to --out (default out/), and
prints a summary table (predicted class, probability, time per method).

  --out DIR       where the report goes (default out)
  --method M      repeatable (default: every method: ${METHOD_NAMES.join(', ')})
  --samples N     noisy samples of ${acceptingNames('samples')} (default ${DEFAULT_NOISE_SAMPLES})
  --images DIR    explain the PNG and JPEG pictures of another folder (mnist-* with mnist-cnn,
                  the rest with shapes-cnn, unless --model is given; default examples/images)
${modelHelp('explain every picture with this model (a bundled name, a spec, or an .onnx file)')}

A method that does not apply to the model (CAM without a GAP + linear head) is reported for
each picture and the demo goes on.`;

interface Row {
  image: string;
  model: string;
  predicted: string;
  probability: number;
  grid: string;
  methods: Array<{ method: string; ms: number; overlay: string; heatmap: string; flat: boolean; className: string } | { method: string; failed: string }>;
}

export function demoCommand(argv: readonly string[], log: (s: string) => void): void {
  const args = parseArgs('demo', argv, { values: ['out', 'samples', 'images', ...MODEL_FLAGS], repeatable: ['method'], positional: [0, 0] });
  const out = value(args, 'out') ?? 'out';
  const chosen = chosenMethods('demo', args, METHOD_NAMES);
  checkMethodFlags('demo', args, chosen, FLAGS);
  const methods = chosen.map((m) => m.name);
  const samples = numberValue('demo', args, 'samples', { integer: true, min: 1 }) ?? DEFAULT_NOISE_SAMPLES;
  const dir = value(args, 'images') ?? join(ROOT, 'examples', 'images');
  const files = imageFiles(dir);
  if (files.length === 0) throw new CamlabError('demo', `no PNG or JPEG images in ${dir}`);
  const given = MODEL_FLAGS.some((f) => args.values.has(f)) ? modelFromArgs('demo', args, 'shapes-cnn') : null;
  const models = new Map<string, Classifier>();
  const rows: Row[] = [];
  mkdirSync(out, { recursive: true });
  for (const f of files) {
    const name = f.startsWith('mnist') ? 'mnist-cnn' : 'shapes-cnn';
    if (given === null && !models.has(name)) models.set(name, loadClassifier(name));
    const model = given ?? models.get(name)!;
    const x = model.toInput(readImage(join(dir, f)));
    const shown = inputToImage(x, model.input);
    const stem = basename(f, extname(f));
    const top = topClasses(model.module, x, model.classes, 1)[0]!;
    const row: Row = { image: f, model: model.name, predicted: top.name, probability: top.probability, grid: '', methods: [] };
    const overlays = [];
    const labels = [];
    writeInput(out, stem, shown);
    for (const m of methods) {
      const t0 = performance.now();
      let r;
      try {
        r = explain(m, model.module, x, { samples });
      } catch (e) {
        if (!(e instanceof CamlabError)) throw e;
        row.methods.push({ method: m, failed: e.message });
        continue;
      }
      const ms = performance.now() - t0;
      const files = writeMapImages(join(out, stem), m, r, shown, 'jet');
      overlays.push(files.overlay);
      labels.push(m);
      const c = r.classes[0]!;
      row.methods.push({ method: m, ms, overlay: relative(out, files.overlayFile), heatmap: relative(out, files.heatmapFile), flat: r.flat[0]!, className: model.classes[c] ?? String(c) });
    }
    row.grid = `${stem}-grid.png`;
    writeGrid(join(out, row.grid), shown, overlays, labels);
    rows.push(row);
  }
  writeFileSync(join(out, 'index.html'), html(rows, methods));
  const cell = (m: Row['methods'][number]): string => ('failed' in m ? '-' : `${m.ms.toFixed(0)}${m.flat ? '*' : ''}`);
  log(table(['image', 'model', 'predicted', 'prob', ...methods.map((m) => `${m} ms`)], rows.map((r) => [r.image, r.model, r.predicted, `${(100 * r.probability).toFixed(1)}%`, ...r.methods.map(cell)])));
  if (rows.some((r) => r.methods.some((m) => 'flat' in m && m.flat))) log('* flat map: the method found no positive evidence at this layer (returned as zeros)');
  for (const r of rows) for (const m of r.methods) if ('failed' in m) log(`- ${m.method} on ${r.image}: ${m.failed}`);
  log(`wrote ${rows.length} comparison grids, per-method PNGs and ${join(out, 'index.html')}`);
}

function writeInput(out: string, stem: string, shown: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): void {
  mkdirSync(join(out, stem), { recursive: true });
  writeFileSync(join(out, stem, 'input.png'), encodePng(enlarge(shown, displayFactor(shown.width))));
}

function html(rows: readonly Row[], methods: readonly string[]): string {
  const head = `<tr><th>image</th>${methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => {
      const stem = basename(r.image, extname(r.image));
      const cells = r.methods.map((m) => ('failed' in m ? `<td>${esc(m.failed)}</td>` : `<td><img src="${esc(m.overlay)}" alt="${esc(m.method)}"><br>${m.ms.toFixed(0)} ms${m.flat ? ' (flat)' : ''}</td>`)).join('');
      return `<tr><td><img src="${esc(stem)}/input.png" alt="${esc(r.image)}"><br><b>${esc(r.image)}</b><br>${esc(r.model)}: ${esc(r.predicted)} ${(100 * r.probability).toFixed(1)}%</td>${cells}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camlab demo</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{padding:6px;text-align:center;vertical-align:top;border-bottom:1px solid #ddd;font-size:13px}img{width:160px;image-rendering:pixelated}</style>
</head><body>
<h1>camlab demo</h1>
<p>Each row: the input as the model sees it, then one overlay per method (jet colormap, red = most important). Maps are upsampled bilinearly (align_corners = false) and min-max normalized. A flat map has no positive evidence and is shown as zeros.</p>
<table>${head}
${body}
</table>
</body></html>
`;
}
