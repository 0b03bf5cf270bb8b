import { basename, extname, join } from 'node:path';
import { methodDescriptor, METHOD_NAMES, whyNotApplicable, type ExplainOptions } from '../cam/methods.js';
import { DEFAULT_NOISE_SAMPLES } from '../cam/noise.js';
import { escapeXml as esc } from '../cam/plots.js';
import { enlarge } from '../cam/render.js';
import { topClasses } from '../cam/classify.js';
import type { Classifier } from '../io/classifier.js';
import { inputToImage } from '../io/image.js';
import { encodePng } from '../io/png.js';
import { imageFiles, loadClassifier, readImage, ROOT } from '../node/files.js';
import { CamlabError } from '../tensor/errors.js';
import { parseArgs, value } from './args.js';
import { CommandError, detail, underCommand } from './errors.js';
import { classFileName, gridFileName, layerFileName, mapFileName, namePart } from './file-names.js';
import { LIMITS, limitedValue, range } from './limits.js';
import { acceptingNames, checkMethodFlags, chosenMethods, type MethodFlag } from './method-flags.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';
import { OutputFolder } from './output.js';
import { displayFactor, gridImage, mapImages, table } from './report.js';
import type { CommandIo } from './run.js';
import { runMethods, sameMapNotes } from './run-methods.js';

const FLAGS: readonly MethodFlag[] = [{ flag: 'samples', option: 'samples' }];

export const DEMO_HELP = `camlab demo [--out DIR] [--method M]... [--samples N] [--images DIR] [--model M]

The main job: explains every sample image in examples/images/ (shapes-*.png with the bundled
shapes-cnn, mnist-*.png with mnist-cnn) with every method, writes per-method heatmaps and
overlays, a comparison grid per image and an index.html report to --out (default out/), and
prints a summary table (predicted class, probability, time per method). A picture that cannot be
read is reported and the others go on; index.html lists it, and the exit code is 2.

  --out DIR       where the report goes (default out)
  --method M      repeatable, or --methods a,b,c (default: every method that applies to the models:
                  ${METHOD_NAMES.join(', ')}; the rollouts need a transformer)
  --samples N     noisy samples of ${acceptingNames('samples')} (default ${DEFAULT_NOISE_SAMPLES}, ${range('samples')})
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
  input: string;
  grid: string | null;
  methods: Array<{ method: string; ms: number; overlay: string | null; flat: boolean; sameAs: string | null } | { method: string; failed: string }>;
  notes: string[];
}

interface Failure {
  image: string;
  message: string;
}

export function demoCommand(argv: readonly string[], io: CommandIo): number {
  const args = parseArgs('demo', argv, { values: ['out', 'samples', 'images', 'methods', ...MODEL_FLAGS], repeatable: ['method'], positional: [0, 0] });
  const samples = limitedValue('demo', args, 'samples', 'samples') ?? DEFAULT_NOISE_SAMPLES;
  const dir = value(args, 'images') ?? join(ROOT, 'examples', 'images');
  const files = underCommand('demo', () => imageFiles(dir));
  if (files.length === 0) throw new CamlabError('demo', `no PNG or JPEG pictures in ${dir}`);
  if (files.length > LIMITS.inputs.max) throw new CamlabError('demo', `${dir} holds ${files.length} pictures, more than ${LIMITS.inputs.max}; split the folder`);
  const given = MODEL_FLAGS.some((f) => args.values.has(f)) ? underCommand('demo', () => modelFromArgs('demo', args, 'shapes-cnn')) : null;
  const modelOf = (f: string): string => (f.startsWith('mnist') ? 'mnist-cnn' : 'shapes-cnn');
  const models = new Map<string, Classifier>();
  const used = given !== null ? [given] : [...new Set(files.map(modelOf))].map((name) => {
    const m = underCommand('demo', () => loadClassifier(name));
    models.set(name, m);
    return m;
  });
  // By default every method that applies to all the models used (rollouts need a transformer).
  const chosen = chosenMethods('demo', args, METHOD_NAMES.filter((n) => used.every((m) => whyNotApplicable(methodDescriptor(n), m.module) === null)));
  checkMethodFlags('demo', args, chosen, FLAGS);
  const out = new OutputFolder('demo', value(args, 'out') ?? 'out');
  out.check();
  const opts: ExplainOptions = { samples };
  const rows: Row[] = [];
  const failures: Failure[] = [];
  const task = io.progress.task('demo');
  files.forEach((f, i) => {
    const stem = basename(f, extname(f));
    try {
      const model = given ?? models.get(modelOf(f))!;
      const { module, classes } = model;
      const x = model.toInput(underCommand('demo', () => readImage(join(dir, f))));
      const shown = inputToImage(x, model.input);
      const top = topClasses(module, x, classes, 1)[0]!;
      const failed: Array<{ method: string; failed: string }> = [];
      const runs = runMethods('demo', module, x, chosen, opts, {
        update: (fraction, what) => task.update((i + fraction) / files.length, `${f} ${what ?? ''}`),
        end: () => {},
      }, (method, message) => failed.push({ method, failed: message }));
      const folder = namePart(stem);
      // Paths relative to the report (index.html links them).
      const staged = (name: string, data: Uint8Array): string => {
        out.write(name, data);
        return name;
      };
      const row: Row = { image: f, model: model.name, predicted: top.name, probability: top.probability, input: staged(join(folder, 'input.png'), encodePng(enlarge(shown, displayFactor(shown.width)))), grid: null, methods: [], notes: sameMapNotes(module, runs).map((s) => s.reason) };
      const overlays = [];
      const fresh = runs.filter((r) => r.sameAs === null);
      const overlayOf = new Map<string, string>();
      for (const r of fresh) {
        const pngs = mapImages(r.result, shown, { colormap: 'jet', alpha: 0.5 });
        const mapName = { image: stem, method: r.method, tags: r.tags, className: classFileName(classes, r.result.classes[0]!), layer: 'layer' in r.result ? layerFileName(module, r.result.layer) : 'input' };
        staged(join(folder, mapFileName(mapName, 'heatmap')), pngs.heatmap);
        overlayOf.set(r.method, staged(join(folder, mapFileName(mapName, 'overlay')), pngs.overlay));
        overlays.push(pngs.overlayPicture);
      }
      for (const d of chosen) {
        const r = runs.find((x) => x.method === d.name);
        row.methods.push(r === undefined ? failed.find((x) => x.method === d.name)! : { method: r.method, ms: r.ms, overlay: overlayOf.get(r.sameAs ?? r.method) ?? null, flat: r.result.flat[0]!, sameAs: r.sameAs });
      }
      const layer = fresh.map((r) => r.result).find((r) => 'layer' in r);
      if (fresh.length > 0) row.grid = staged(gridFileName(stem, fresh, classFileName(classes, fresh[0]!.result.classes[0]!), layer !== undefined && 'layer' in layer ? layerFileName(module, layer.layer) : 'input'), gridImage(shown, overlays, fresh.map((r) => r.method)));
      out.commit();
      rows.push(row);
    } catch (e) {
      out.abort();
      if (!(e instanceof CamlabError)) throw e;
      const message = e instanceof CommandError ? e.message.replace(/^demo: /, '') : detail(e);
      failures.push({ image: f, message });
      io.warn(`demo: ${f}: ${message} (skipped)`);
    }
  });
  task.end();
  const methods = chosen.map((m) => m.name);
  const index = out.write('index.html', html(rows, failures, methods));
  out.commit();
  if (rows.length > 0) {
    const cell = (m: Row['methods'][number]): string => ('failed' in m ? '-' : m.sameAs !== null ? `=${m.sameAs}` : `${m.ms.toFixed(0)}${m.flat ? '*' : ''}`);
    io.log(table(['image', 'model', 'predicted', 'prob', ...methods.map((m) => `${m} ms`)], rows.map((r) => [r.image, r.model, r.predicted, `${(100 * r.probability).toFixed(1)}%`, ...r.methods.map(cell)])));
  }
  if (rows.some((r) => r.methods.some((m) => 'flat' in m && m.flat))) io.log('* flat map: the method found no positive evidence at this layer (returned as zeros)');
  for (const r of rows) for (const m of r.methods) if ('failed' in m) io.log(`- ${m.method} on ${r.image}: ${m.failed}`);
  for (const note of [...new Set(rows.flatMap((r) => r.notes))]) io.log(`same map: ${note}`);
  io.log(`wrote ${rows.length} comparison grids, per-method PNGs and ${index}`);
  if (failures.length > 0) io.warn(`demo: ${failures.length} of ${files.length} pictures could not be explained (listed in ${index})`);
  return failures.length > 0 ? 2 : 0;
}

/** A path relative to the report as a URL: each segment percent-encoded (`a#b.png` → `a%23b.png`), then escaped for HTML. */
export function hrefOf(path: string): string {
  return esc(path.split(/[\\/]/).map(encodeURIComponent).join('/'));
}

function html(rows: readonly Row[], failures: readonly Failure[], methods: readonly string[]): string {
  const rel = hrefOf;
  const head = `<tr><th>image</th>${methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => {
      const cells = r.methods.map((m) => ('failed' in m ? `<td>${esc(m.failed)}</td>` : `<td>${m.overlay === null ? '' : `<img src="${rel(m.overlay)}" alt="${esc(m.method)}">`}<br>${m.sameAs !== null ? `same computation as ${esc(m.sameAs)}` : `${m.ms.toFixed(0)} ms${m.flat ? ' (flat)' : ''}`}</td>`)).join('');
      const notes = r.notes.map((n) => `<tr class="note"><td colspan="${methods.length + 1}">same map: ${esc(n)}</td></tr>`).join('');
      return `<tr><td><img src="${rel(r.input)}" alt="${esc(r.image)}"><br><b>${esc(r.image)}</b><br>${esc(r.model)}: ${esc(r.predicted)} ${(100 * r.probability).toFixed(1)}%${r.grid === null ? '' : `<br><a href="${rel(r.grid)}">grid</a>`}</td>${cells}</tr>${notes}`;
    })
    .join('\n');
  const failed = failures.length === 0 ? '' : `<h2>Not explained</h2>\n<ul>${failures.map((f) => `<li><b>${esc(f.image)}</b>: ${esc(f.message)}</li>`).join('')}</ul>\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camlab demo</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{padding:6px;text-align:center;vertical-align:top;border-bottom:1px solid #ddd;font-size:13px}tr.note td{text-align:left;color:#555;border-bottom:1px solid #ddd}img{width:160px;image-rendering:pixelated}</style>
</head><body>
<h1>camlab demo</h1>
<p>Each row: the input as the model sees it, then one overlay per method (jet colormap, red = most important). Maps are upsampled bilinearly (align_corners = false) and min-max normalized. A flat map has no positive evidence and is shown as zeros.</p>
<table>${head}
${body}
</table>
${failed}</body></html>
`;
}
