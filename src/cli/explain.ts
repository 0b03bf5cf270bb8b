import { basename, extname, join } from 'node:path';
import { DEFAULT_EXACT_BATCH } from '../cam/gradients.js';
import { explain, type ExplainOptions } from '../cam/methods.js';
import { DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES } from '../cam/noise.js';
import { channelSummary, type CamTrace } from '../cam/result.js';
import { COLORMAPS, type ColormapName } from '../cam/render.js';
import type { Target } from '../cam/target.js';
import { inputToImage } from '../io/image.js';
import { topClasses } from '../cam/classify.js';
import { CamlabError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { numberValue, parseArgs, value, type ParsedArgs } from './args.js';
import { readImage } from '../node/files.js';
import { acceptingNames, checkMethodFlags, chosenMethods, methodList, presetList, type MethodFlag } from './method-flags.js';
import { fmt, table, writeGrid, writeMapImages, type AnyResult } from './report.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';

/** Flags of `explain` that set a method option (each must apply to a chosen method). */
const FLAGS: readonly MethodFlag[] = [
  { flag: 'layer', option: 'layer' },
  { flag: 'samples', option: 'samples' },
  { flag: 'noise', option: 'noise' },
  { flag: 'seed', option: 'seed' },
  { flag: 'exact', option: 'exact' },
  { flag: 'output', option: 'exact' },
  { flag: 'batch-size', option: 'exact' },
  { flag: 'preset', option: 'preset' },
  { flag: 'aug-smooth', option: 'augSmooth' },
  { flag: 'eigen-smooth', option: 'eigenSmooth' },
];

export const EXPLAIN_HELP = `camlab explain IMAGE [options]

Explains a model's decision on one picture, PNG or JPEG (any size, bit depth, grey or colour,
with or without alpha; it is converted to the model's input as described in the README).

${modelHelp('bundled model shapes-cnn (default) or mnist-cnn')}
  --method M               repeatable (default gradcam++); one of
${methodList('                             ')}
  --class C                class index or name to explain (default: the predicted class)
  --layer L                target layer: a state-dict name, or for ONNX a module path (layer4.1,
                           features.7) or tensor name (default: the last 4-D map before pooling);
                           repeat it for the mean of several layers' normalized maps
  --samples N --noise S --seed K   noise of ${acceptingNames('samples')} (default ${DEFAULT_NOISE_SAMPLES}, ${DEFAULT_NOISE_LEVEL}, 0)
  --exact                  exact higher-order derivatives (${acceptingNames('exact')})
  --output exp|softmax|raw the Y whose derivatives --exact uses (default exp; implies --exact)
  --batch-size N           diagonal entries per batched pass of --exact (default ${DEFAULT_EXACT_BATCH}; implies --exact)
  --preset P               a known implementation's variant:
${presetList('                             ')}
  --aug-smooth             mean over the flipped input and the input ×0.9, ×1, ×1.1 (pytorch-grad-cam's aug_smooth)
  --eigen-smooth           the map is the first principal component of the w_k A_k (${acceptingNames('eigenSmooth')})
  --colormap C             ${COLORMAPS.join(', ')} (default jet)
  --out DIR                where PNGs go (default out)
  --json                   print maps, weights and terms as JSON instead of text
  --trace                  print a per-channel table of the terms

An option that none of the chosen methods takes is an error (e.g. --preset with only gradcam).`;

export function explainCommand(argv: readonly string[], log: (s: string) => void): void {
  const args = parseArgs('explain', argv, {
    values: [...MODEL_FLAGS, 'class', 'samples', 'noise', 'seed', 'output', 'out', 'colormap', 'preset', 'batch-size'],
    repeatable: ['method', 'layer'],
    switches: ['exact', 'json', 'trace', 'aug-smooth', 'eigen-smooth'],
    positional: [1, 1],
  });
  const imagePath = args.positional[0]!;
  const chosen = chosenMethods('explain', args, ['gradcam++']);
  const methods = chosen.map((m) => m.name);
  const cmap = (value(args, 'colormap') ?? 'jet') as ColormapName;
  if (!COLORMAPS.includes(cmap)) throw new CamlabError('explain', `unknown colormap '${cmap}'; known: ${COLORMAPS.join(', ')}`);
  const model = modelFromArgs('explain', args, 'shapes-cnn');
  const x = model.toInput(readImage(imagePath));
  const opts = explainOptions(args, model.classes);
  checkMethodFlags('explain', args, chosen, FLAGS);
  const top = topClasses(model.module, x, model.classes, 3);
  const stem = basename(imagePath, extname(imagePath));
  const outDir = value(args, 'out') ?? 'out';
  const shown = inputToImage(x, model.input);
  const runs: Array<{ method: string; result: AnyResult; ms: number; files: string[] }> = [];
  const overlays = [];
  for (const m of methods) {
    const t0 = performance.now();
    const result = explain(m, model.module, x, opts);
    const ms = performance.now() - t0;
    const files = writeMapImages(outDir, `${stem}-${m}`, result, shown, cmap);
    overlays.push(files.overlay);
    runs.push({ method: m, result, ms, files: [files.heatmapFile, files.overlayFile] });
  }
  let gridFile: string | null = null;
  if (runs.length > 1) {
    gridFile = join(outDir, `${stem}-grid.png`);
    writeGrid(gridFile, shown, overlays, runs.map((r) => r.method));
  }
  if (args.switches.has('json')) {
    log(JSON.stringify(jsonReport(imagePath, model.name, model.classes, top, runs, gridFile)));
    return;
  }
  log(`${imagePath} → ${model.name} (input ${x.shape.slice(1).join('x')})`);
  log(`preprocessing: ${model.recipe}`);
  log(`top classes: ${top.map((t) => `${t.name} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`);
  for (const r of runs) {
    const c = r.result.classes[0]!;
    const cls = c >= 0 ? `${model.classes[c] ?? c} (class ${c})` : 'custom target';
    const layer = 'layer' in r.result ? ` at layer ${model.layerLabel(r.result.layer)}` : '';
    log(`${r.method}: explains ${cls}${layer}, ${r.ms.toFixed(0)} ms${r.result.flat[0] ? ' — the map is flat (all zero): nothing in this layer supports the class' : ''}`);
    log(`  ${r.files.join('\n  ')}`);
    if (args.switches.has('trace') && 'trace' in r.result && r.result.trace !== undefined) log(traceTable(r.result.trace));
  }
  if (gridFile !== null) log(`comparison grid: ${gridFile}`);
}

function explainOptions(args: ParsedArgs, classes: readonly string[]): ExplainOptions {
  const o: ExplainOptions = { trace: args.switches.has('trace') || args.switches.has('json') };
  const cls = value(args, 'class');
  if (cls !== undefined) {
    const byName = classes.indexOf(cls);
    const idx = byName >= 0 ? byName : /^-?\d+$/.test(cls) ? Number(cls) : NaN;
    if (Number.isNaN(idx)) throw new CamlabError('explain', `--class '${cls}' is neither a class index nor one of: ${classes.join(', ')}`);
    if (idx < 0 || idx >= classes.length) throw new CamlabError('explain', `--class ${idx} is out of range: the model has ${classes.length} classes (0-${classes.length - 1})`);
    o.target = idx as Target;
  }
  const layers = args.values.get('layer') ?? [];
  if (layers.length > 0) o.layer = layers.length === 1 ? layers[0]! : layers;
  if (args.switches.has('aug-smooth')) o.augSmooth = true;
  if (args.switches.has('eigen-smooth')) o.eigenSmooth = true;
  const samples = numberValue('explain', args, 'samples', { integer: true, min: 1 });
  if (samples !== undefined) o.samples = samples;
  const noise = numberValue('explain', args, 'noise', { min: 0 });
  if (noise !== undefined) o.noise = noise;
  const seed = numberValue('explain', args, 'seed', { integer: true });
  if (seed !== undefined) o.seed = seed;
  const output = value(args, 'output');
  if (output !== undefined && !['exp', 'softmax', 'raw'].includes(output)) throw new CamlabError('explain', `--output must be exp, softmax or raw, got '${output}'`);
  const batch = numberValue('explain', args, 'batch-size', { integer: true, min: 1 });
  if (args.switches.has('exact') || output !== undefined || batch !== undefined) {
    o.exact = {};
    if (output !== undefined) o.exact.output = output as 'exp' | 'softmax' | 'raw';
    if (batch !== undefined) o.exact.batchSize = batch;
  }
  const preset = value(args, 'preset');
  if (preset !== undefined) o.preset = preset;
  return o;
}

/** Per-channel terms of image 0 ({@link channelSummary}): Σ A, mean g, α range and weight, sorted by weight. */
function traceTable(t: CamTrace): string {
  const rows = channelSummary(t).sort((a, b) => (b.weight ?? -Infinity) - (a.weight ?? -Infinity));
  const cells = rows.map((r) => [String(r.channel), fmt(r.sumA), fmt(r.meanGrad), r.alpha === null ? '-' : `${fmt(r.alpha.min)}..${fmt(r.alpha.max)}`, r.weight === null ? '-' : fmt(r.weight)]);
  return table(['channel', 'sum A', 'mean g', 'alpha range', 'weight'], cells) + `\n  (derivatives: ${t.derivatives})`;
}

function nested(t: Tensor, index: number): number[][] {
  const [, h, w] = t.shape as [number, number, number];
  return Array.from({ length: h }, (_, y) => Array.from(t.data.subarray(index * h * w + y * w, index * h * w + (y + 1) * w)));
}

function jsonReport(
  image: string, model: string, classes: readonly string[],
  top: ReturnType<typeof topClasses>, runs: ReadonlyArray<{ method: string; result: AnyResult; ms: number; files: string[] }>,
  gridFile: string | null,
): unknown {
  return {
    image,
    model,
    top,
    grid: gridFile,
    methods: runs.map(({ method, result, ms, files }) => {
      const c = result.classes[0]!;
      const entry: Record<string, unknown> = {
        method,
        class: c,
        className: c >= 0 ? classes[c] : null,
        score: result.scores[0],
        probability: result.probabilities[0],
        flat: result.flat[0],
        ms: Math.round(ms),
        files,
        map: nested(result.map, 0),
        upsampled: nested(result.upsampled, 0),
      };
      if ('layer' in result) {
        entry.layer = result.layer;
        entry.weights = result.weights === null ? null : Array.from(result.weights.data.subarray(0, result.weights.shape[1]!));
        const t = result.trace;
        if (t !== undefined) {
          const terms: Record<string, unknown> = { derivatives: t.derivatives, A: t.A.toArray(), d1: t.d1.toArray() };
          if (t.d2) terms.d2 = t.d2.toArray();
          if (t.d3) terms.d3 = t.d3.toArray();
          if (t.sumA) terms.sumA = t.sumA.toArray();
          if (t.alpha) terms.alpha = t.alpha.toArray();
          terms.rawMap = t.rawMap.toArray();
          entry.terms = terms;
        }
      }
      return entry;
    }),
  };
}
