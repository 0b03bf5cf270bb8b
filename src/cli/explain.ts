import { DEFAULT_EXACT_BATCH } from '../cam/gradients.js';
import type { ExplainOptions, RegisteredMethod } from '../cam/methods.js';
import { DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES } from '../cam/noise.js';
import { COLORMAPS, type ColormapName } from '../cam/render.js';
import type { Target } from '../cam/target.js';
import { topClasses } from '../cam/classify.js';
import { DEFAULT_MAX_PIXELS } from '../io/image-limits.js';
import { inputToImage } from '../io/image.js';
import type { Classifier } from '../io/classifier.js';
import type { RgbaImage } from '../io/rgba.js';
import { readImage } from '../node/files.js';
import { CamlabError } from '../tensor/errors.js';
import { parseArgs, value, type ParsedArgs } from './args.js';
import { CommandError, detail, underCommand } from './errors.js';
import { jsonReport, textReport, type PictureReport } from './explain-report.js';
import { classFileName, gridFileName, layerFileName, mapFileName } from './file-names.js';
import { inputPictures, type InputPicture } from './inputs.js';
import { LIMITS, limitedValue, range } from './limits.js';
import { acceptingNames, checkApplicable, checkMethodFlags, chosenMethods, methodList, partialFlagNotes, presetList, type MethodFlag } from './method-flags.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';
import { OutputFolder } from './output.js';
import { gridImage, mapImages, type MapStyle } from './report.js';
import type { CommandIo } from './run.js';
import { runMethods, sameMapNotes } from './run-methods.js';

/** Flags of `explain` that set a method option (each must apply to a chosen method). */
const FLAGS: readonly MethodFlag[] = [
  { flag: 'layer', option: 'layer' },
  { flag: 'samples', option: 'samples' },
  { flag: 'noise', option: 'noise' },
  { flag: 'seed', option: 'seed' },
  { flag: 'exact', option: 'exact' },
  { flag: 'output', option: 'exact' },
  { flag: 'batch-size', option: 'exact' },
  { flag: 'diagonals', option: 'exact' },
  { flag: 'preset', option: 'preset' },
  { flag: 'aug-smooth', option: 'augSmooth' },
  { flag: 'eigen-smooth', option: 'eigenSmooth' },
  { flag: 'fusion', option: 'fusion' },
  { flag: 'discard-ratio', option: 'discardRatio' },
];

export const EXPLAIN_HELP = `camlab explain PICTURE|FOLDER... [options]

Explains a model's decision (a bundled model, a spec or an ONNX model) on PNG and JPEG pictures:
files, and the .png/.jpg/.jpeg files of folders (any size, bit depth, grey or colour, with or
without alpha; converted to the model's input as described in the README). A picture that cannot
be read is reported and the others go on.

${modelHelp('bundled model shapes-cnn (default), shapes-vit or mnist-cnn')}
  --method M               repeatable, or --methods a,b,c (default gradcam++); one of
${methodList('                             ')}
  --class C                class index or name to explain (default: the predicted class)
  --layer L                target layer: a state-dict name, or for ONNX a module path (layer4.1,
                           features.7) or tensor name (default: the last 4-D map before pooling;
                           for a ViT the last block's ln_1 token grid); repeat it for the mean
                           of several layers' normalized maps
  --samples N --noise S --seed K   noise of ${acceptingNames('samples')} (default ${DEFAULT_NOISE_SAMPLES}, ${DEFAULT_NOISE_LEVEL}, 0;
                           N ${range('samples')}, S ${range('noise')})
  --exact                  exact higher-order derivatives (${acceptingNames('exact')})
  --output exp|softmax|raw the Y whose derivatives --exact uses (default exp; implies --exact)
  --batch-size N           diagonal entries per batched pass of --exact (default ${DEFAULT_EXACT_BATCH}, ${range('exactBatch')}; implies --exact)
  --diagonals auto|passes  how --exact gets ∂²Y/∂A², ∂³Y/∂A³: auto (default) uses the chain rule where
                           autodiff certifies the head linear around A (ReLU/conv/pool/linear), else
                           batched passes; passes always runs the passes, to compare (they agree to
                           rounding, except softmax at p ≈ 1, where the passes lose digits; implies --exact)
  --preset P               a known implementation's variant:
${presetList('                             ')}
  --aug-smooth             mean over the flipped input and the input ×0.9, ×1, ×1.1 (pytorch-grad-cam's aug_smooth)
  --eigen-smooth           the map is the first principal component of the w_k A_k (${acceptingNames('eigenSmooth')})
  --fusion mean|max|min    head fusion of ${acceptingNames('fusion')} (default mean)
  --discard-ratio R        share of the smallest fused attention zeroed per block, in [0, 1) (default 0)
  --colormap C             ${COLORMAPS.join(', ')} (default jet)
  --alpha A                overlay opacity of the heatmap, ${range('alpha')} (default 0.5)
  --out DIR                where PNGs go (default out); names say what each map is:
                           PICTURE_METHOD[-SETTINGS]_CLASS_LAYER_overlay.png (README: File names)
  --no-images              write no PNGs: only the report (with --json: maps as numbers)
  --max-pixels N           largest picture read, width x height (default ${DEFAULT_MAX_PIXELS}, ${range('maxPixels')})
  --json                   print one JSON object per picture (maps, weights, terms) instead of text
  --trace                  print a per-channel table of the terms

An option that none of the chosen methods takes is an error (e.g. --preset with only gradcam);
one that only some take is noted. Methods that give the same map are noted, with the reason.`;

/** Everything explain needs besides the pictures, checked before any of them is read. */
interface ExplainJob {
  methods: RegisteredMethod[];
  model: Classifier;
  options: ExplainOptions;
  style: MapStyle;
  maxPixels: number;
  out: OutputFolder | null;
  json: boolean;
  trace: boolean;
  notes: string[];
}

function parseJob(args: ParsedArgs): ExplainJob {
  const methods = chosenMethods('explain', args, ['gradcam++']);
  const colormap = (value(args, 'colormap') ?? 'jet') as ColormapName;
  if (!COLORMAPS.includes(colormap)) throw new CamlabError('explain', `unknown colormap '${colormap}'; known: ${COLORMAPS.join(', ')}`);
  const alpha = limitedValue('explain', args, 'alpha', 'alpha') ?? 0.5;
  const maxPixels = limitedValue('explain', args, 'max-pixels', 'maxPixels') ?? DEFAULT_MAX_PIXELS;
  const noImages = args.switches.has('no-images');
  if (noImages) {
    const writing = ['out', 'colormap', 'alpha'].filter((f) => args.values.has(f));
    if (writing.length > 0) throw new CamlabError('explain', `--${writing[0]} does not apply with --no-images (no PNG is written)`);
  }
  checkMethodFlags('explain', args, methods, FLAGS);
  const model = underCommand('explain', () => modelFromArgs('explain', args, 'shapes-cnn'));
  checkApplicable('explain', methods, model.module, model.name);
  const options = explainOptions(args, model.classes);
  for (const layer of args.values.get('layer') ?? []) underCommand('explain', () => model.module.get(layer));
  const out = noImages ? null : new OutputFolder('explain', value(args, 'out') ?? 'out');
  out?.check();
  return {
    methods, model, options, style: { colormap, alpha }, maxPixels, out,
    json: args.switches.has('json'), trace: args.switches.has('trace'), notes: partialFlagNotes(args, methods, FLAGS),
  };
}

export function explainCommand(argv: readonly string[], io: CommandIo): number {
  const args = parseArgs('explain', argv, {
    values: [...MODEL_FLAGS, 'methods', 'class', 'samples', 'noise', 'seed', 'output', 'out', 'colormap', 'alpha', 'preset', 'batch-size', 'diagonals', 'max-pixels', 'fusion', 'discard-ratio'],
    repeatable: ['method', 'layer'],
    switches: ['exact', 'json', 'trace', 'no-images', 'aug-smooth', 'eigen-smooth'],
    positional: [1, LIMITS.inputs.max],
  });
  const job = parseJob(args);
  const pictures = inputPictures('explain', args.positional);
  let failures = 0;
  for (const p of pictures) {
    try {
      const report = explainPicture(job, p, io);
      if (job.json) io.log(JSON.stringify(jsonReport(report)));
      else for (const line of textReport(report, job.trace)) io.log(line);
    } catch (e) {
      if (!(e instanceof CamlabError) || pictures.length === 1) throw e;
      // Several pictures: report this one (its outputs were not written) and go on.
      failures++;
      io.warn(`${e instanceof CommandError ? e.message : `explain: ${detail(e)}`} (skipped)`);
    }
  }
  if (failures > 0) io.warn(`explain: ${failures} of ${pictures.length} pictures could not be explained`);
  return failures > 0 ? 2 : 0;
}

/** Explains one picture with every method; its files are staged and committed together, or not at all. */
function explainPicture(job: ExplainJob, p: InputPicture, io: CommandIo): PictureReport {
  const { module, classes } = job.model;
  const picture = underCommand('explain', () => readImage(p.path, { maxPixels: job.maxPixels }));
  const x = job.model.toInput(picture);
  const top = topClasses(module, x, classes, 3);
  const task = io.progress.task(`explain ${p.path}`);
  const runs = runMethods('explain', module, x, job.methods, job.options, task);
  task.end();
  const shown: RgbaImage = inputToImage(x, job.model.input);
  const out = job.out;
  const files = new Map<string, string[]>();
  let grid: string | null = null;
  try {
    const overlays: RgbaImage[] = [];
    for (const r of runs) {
      if (r.sameAs !== null || out === null) continue;
      const name = { image: p.stem, method: r.method, tags: r.tags, className: classFileName(classes, r.result.classes[0]!), layer: 'layer' in r.result ? layerFileName(module, r.result.layer) : 'input' };
      const pngs = mapImages(r.result, shown, job.style);
      files.set(r.method, [out.write(mapFileName(name, 'heatmap'), pngs.heatmap), out.write(mapFileName(name, 'overlay'), pngs.overlay)]);
      overlays.push(pngs.overlayPicture);
    }
    const fresh = runs.filter((r) => r.sameAs === null);
    if (out !== null && fresh.length > 1) {
      const layer = fresh.map((r) => r.result).find((r) => 'layer' in r);
      const name = gridFileName(p.stem, fresh, classFileName(classes, fresh[0]!.result.classes[0]!), layer !== undefined && 'layer' in layer ? layerFileName(module, layer.layer) : 'input');
      grid = out.write(name, gridImage(shown, overlays, fresh.map((r) => r.method)));
    }
    out?.commit();
  } catch (e) {
    out?.abort();
    throw e;
  }
  return {
    image: p.path, model: job.model, inputShape: x.shape.slice(1), top, grid, same: sameMapNotes(module, runs), notes: job.notes,
    runs: runs.map((r) => ({ ...r, files: files.get(r.sameAs ?? r.method) ?? [] })),
  };
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
  const samples = limitedValue('explain', args, 'samples', 'samples');
  if (samples !== undefined) o.samples = samples;
  const noise = limitedValue('explain', args, 'noise', 'noise');
  if (noise !== undefined) o.noise = noise;
  const seed = limitedValue('explain', args, 'seed', 'seed');
  if (seed !== undefined) o.seed = seed;
  const output = value(args, 'output');
  if (output !== undefined && !['exp', 'softmax', 'raw'].includes(output)) throw new CamlabError('explain', `--output must be exp, softmax or raw, got '${output}'`);
  const batch = limitedValue('explain', args, 'batch-size', 'exactBatch');
  const diagonals = value(args, 'diagonals');
  if (diagonals !== undefined && diagonals !== 'auto' && diagonals !== 'passes') throw new CamlabError('explain', `--diagonals must be auto or passes, got '${diagonals}'`);
  if (args.switches.has('exact') || output !== undefined || batch !== undefined || diagonals !== undefined) {
    o.exact = {};
    if (output !== undefined) o.exact.output = output as 'exp' | 'softmax' | 'raw';
    if (batch !== undefined) o.exact.batchSize = batch;
    if (diagonals !== undefined) o.exact.diagonals = diagonals;
  }
  const preset = value(args, 'preset');
  if (preset !== undefined) o.preset = preset;
  const fusion = value(args, 'fusion');
  if (fusion !== undefined && fusion !== 'mean' && fusion !== 'max' && fusion !== 'min') throw new CamlabError('explain', `--fusion must be mean, max or min, got '${fusion}'`);
  if (fusion !== undefined) o.fusion = fusion;
  const discard = value(args, 'discard-ratio');
  if (discard !== undefined) {
    const r = Number(discard);
    if (discard.trim() === '' || !(r >= 0 && r < 1)) throw new CamlabError('explain', `--discard-ratio must be a number in [0, 1), got '${discard}'`);
    o.discardRatio = r;
  }
  return o;
}
