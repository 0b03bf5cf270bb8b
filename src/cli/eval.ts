/**
 * `camlab eval`: argument parsing and report writing around the library's evaluation
 * (src/cam/evaluate): a single run, one shard of a run (--shard k/n), the merge of shard
 * results (--merge DIR...), or local worker processes that run the shards and merge (--workers N).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVAL_BATCH_SIZE, EVAL_CURVE_IMAGES, EVAL_NOISE_SAMPLES, EVAL_STABILITY_IMAGES, EVAL_STABILITY_NOISE, EVAL_STEPS,
  evaluateRecords, mergeParts, shardRange, summarize, type EvalDataset, type EvalPart, type EvalSettings,
} from '../cam/evaluate/index.js';
import type { BaselineKind } from '../cam/metrics.js';
import { applicableMethods, METHOD_NAMES } from '../cam/methods.js';
import { SHAPES_HELD_OUT_SEED } from '../data/datasets.js';
import { digitsEvalSet, shapesEvalSet } from '../data/eval-sets.js';
import { loadMnist } from '../data/mnist.js';
import type { Classifier } from '../io/classifier.js';
import { SHAPE_CLASSES } from '../data/shapes.js';
import { CamlabError } from '../tensor/errors.js';
import { parseArgs, value, type ParsedArgs } from './args.js';
import { underCommand } from './errors.js';
import { evalSecondsLeft } from './eval-eta.js';
import { limitedValue } from './limits.js';
import { OutputFolder } from './output.js';
import { Progress } from './progress.js';
import { logTables, logTiming, writeExamplePictures, writeReport, type EvalReport, type EvalTiming } from './eval-report.js';
import { parseShard, readShard, runWorkers, writeShard, type ShardFile } from './eval-shards.js';
import { acceptingNames, checkApplicable, checkMethodFlags, chosenMethods, type MethodFlag } from './method-flags.js';
import { duration } from './report.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';

export const EVAL_HELP = `camlab eval [--data shapes|mnist] [options]
camlab eval ... --shard k/n --out DIR      evaluate shard k (0-based) of n, write DIR/shard.json
camlab eval --merge DIR... [--out DIR]     merge shard results into the report of a single run
camlab eval ... --workers N                run the n shards as N local processes, then merge

Scores explanation methods on held-out data and writes a report. Every method explains the
model's PREDICTED class of each image (--class label for the ground-truth class). Metrics:
Average Drop %, Increase in Confidence %, Win % (Grad-CAM++ paper), deletion/insertion AUC
(RISE), and on shapes (which have exact object masks) energy inside the objects, pointing game
and instance coverage; plus total variation (smoothness) and stability under input noise.

  --data shapes|mnist      shapes: held-out synthetic images (seed ${SHAPES_HELD_OUT_SEED}) with 1, 2 and
                           3 instances in turn, classes in turn (balanced); mnist: held-out
                           digits, classes in turn (default shapes)
${modelHelp('default: the bundled model for the data (shapes-cnn, mnist-cnn)')}
                           An ONNX model must output the data's classes in label order and take
                           its images as they are (3x64x64 shapes, 1x28x28 digits)
  --images N               images to evaluate (default 500)
  --method M               repeatable; or --methods a,b,c (default: every method that applies to the model:
                           ${METHOD_NAMES.join(', ')}; rollouts only for transformers, cam only after GAP + linear)
  --layer L                CAM layer of ${acceptingNames('layer')} (default: the model's last 4-D layer; a ViT's last ln_1 grid)
  --class predicted|label  which class to explain (default predicted)
  --samples N              noisy samples of ${acceptingNames('samples')} (default ${EVAL_NOISE_SAMPLES})
  --steps S                deletion/insertion steps (default ${EVAL_STEPS})
  --baseline zero|mean|blur  both curves' baseline (default: RISE's, zero for deletion, blur for insertion)
  --space pixel|normalized where masking happens (default pixel: [0,1] pixels before normalization)
  --stability-noise S      σ of the two input noises of the stability metric, in [0,1] pixel units (default ${EVAL_STABILITY_NOISE})
  --curve-images N         deletion/insertion curves on the first N images only (default ${EVAL_CURVE_IMAGES})
  --stability-images N     stability on the first N images only (default ${EVAL_STABILITY_IMAGES})
  --seed K                 seed of every noise (default 0): same command, same numbers
  --examples N             images shown with overlays in index.html (default 6)
  --out DIR                default out/eval-<data>
  --shard k/n              evaluate only shard k of n (whole batches of images, the same slice every
                           time) and write DIR/shard.json plus its example pictures
  --merge DIR...           combine the shard results in these folders (every shard of one command)
                           into exactly the files a single run writes
  --workers N              run the N shards as N processes on this machine, then merge

The cheap metrics run on every image. The expensive ones run on the first images only by default
(deletion/insertion: 2(S−1) forward passes per image and method; stability: two more
explanations per image and method), so that the default run (every method, 500 shapes images)
stays under 10 minutes on one core; the first images are balanced (instance counts and classes
cycle). Pass --curve-images N --stability-images N to score more.

Writes results.csv (one row per image and method), summary.json (deterministic), timing.json,
curves.svg (mean deletion/insertion curves), bars.svg and index.html. A merge of shards writes
the same bytes as one run (timing.json aside); docs/evaluation.md has a Kubernetes recipe.`;

const ARG_SPEC = {
  values: ['data', ...MODEL_FLAGS, 'images', 'methods', 'layer', 'class', 'samples', 'steps', 'baseline', 'space', 'stability-noise', 'curve-images', 'stability-images', 'seed', 'examples', 'out', 'shard', 'workers'],
  repeatable: ['method'],
  switches: ['merge'],
  positional: [0, 10_000],
} as const;

/** What summary.json holds (the name tests and scripts use). */
export type EvalSummary = EvalReport;

/** Flags that set a method option: each must apply to one of the chosen methods. */
const FLAGS: readonly MethodFlag[] = [
  { flag: 'layer', option: 'layer' },
  { flag: 'samples', option: 'samples' },
];

/** Flags that say how a run is carried out, not what it computes: left out of the recorded command. */
const RUN_FLAGS = ['out', 'shard', 'workers'];

/** argv without --out, --shard and --workers (and their values): what the numbers depend on. */
function withoutRunFlags(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (RUN_FLAGS.includes(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    kept.push(a);
  }
  return kept;
}

/** The command that reproduces the numbers, recorded in summary.json (the same in every shard of a run). */
function recordedCommand(argv: readonly string[]): string {
  return `camlab eval ${withoutRunFlags(argv).join(' ')}`.trim();
}

/**
 * CPU time of this process (user + system) in ms: per-method times are measured in CPU time, so
 * they stay meaningful when other processes share the machine (wall time is reported too).
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** An evaluation as the command line describes it: data set, model, methods, settings. */
interface EvalJob {
  data: 'shapes' | 'mnist';
  dataset: EvalDataset;
  model: Classifier;
  methods: string[];
  settings: EvalSettings;
  out: OutputFolder;
}

function parseJob(args: ParsedArgs): EvalJob {
  const data = value(args, 'data') ?? 'shapes';
  if (data !== 'shapes' && data !== 'mnist') throw new CamlabError('eval', `--data must be shapes or mnist, got '${data}'`);
  const model = underCommand('eval', () => modelFromArgs('eval', args, data === 'shapes' ? 'shapes-cnn' : 'mnist-cnn'));
  const methods = chosenMethods('eval', args, applicableMethods(model.module).map((m) => m.name));
  checkApplicable('eval', methods, model.module, model.name);
  const count = limitedValue('eval', args, 'images', 'evalImages') ?? 500;
  const seed = limitedValue('eval', args, 'seed', 'seed') ?? 0;
  const explained = value(args, 'class') ?? 'predicted';
  if (explained !== 'predicted' && explained !== 'label') throw new CamlabError('eval', `--class must be predicted or label, got '${explained}'`);
  const baseline = value(args, 'baseline');
  if (baseline !== undefined && !['zero', 'mean', 'blur'].includes(baseline)) throw new CamlabError('eval', `--baseline must be zero, mean or blur, got '${baseline}'`);
  const space = value(args, 'space') ?? 'pixel';
  if (space !== 'pixel' && space !== 'normalized') throw new CamlabError('eval', `--space must be pixel or normalized, got '${space}'`);
  const settings: EvalSettings = {
    explained, seed, space,
    samples: limitedValue('eval', args, 'samples', 'samples') ?? EVAL_NOISE_SAMPLES,
    steps: limitedValue('eval', args, 'steps', 'evalSteps') ?? EVAL_STEPS,
    stabilityNoise: limitedValue('eval', args, 'stability-noise', 'stabilityNoise') ?? EVAL_STABILITY_NOISE,
    curveImages: limitedValue('eval', args, 'curve-images', 'evalSubset') ?? EVAL_CURVE_IMAGES,
    stabilityImages: limitedValue('eval', args, 'stability-images', 'evalSubset') ?? EVAL_STABILITY_IMAGES,
    examples: limitedValue('eval', args, 'examples', 'examples') ?? 6,
  };
  if (baseline !== undefined) settings.baseline = baseline as BaselineKind;
  const layer = value(args, 'layer');
  if (layer !== undefined) settings.layer = layer;
  checkMethodFlags('eval', args, methods, FLAGS);
  let dataset: EvalDataset;
  if (data === 'shapes') {
    dataset = shapesEvalSet(count);
  } else {
    const { heldOut } = loadMnist();
    if (count > heldOut.images.length) throw new CamlabError('eval', `--images ${count} is more than the ${heldOut.images.length} held-out MNIST digits`);
    dataset = digitsEvalSet(heldOut, count);
  }
  const [c, h, w] = dataset.shape;
  const inp = model.input;
  if (inp.channels !== c || inp.height !== h || inp.width !== w) {
    throw new CamlabError('eval', `model ${model.name} expects ${inp.channels}x${inp.height}x${inp.width} inputs but ${data} images are ${c}x${h}x${w}`);
  }
  checkClasses(model, data);
  if (settings.steps! > h * w) throw new CamlabError('eval', `--steps ${settings.steps} is more than the ${h * w} pixels of an image`);
  const out = new OutputFolder('eval', value(args, 'out') ?? join('out', `eval-${data}`));
  out.check();
  return { data, dataset, model, methods: methods.map((m) => m.name), settings, out };
}

/** The classes of each data set, in label order. */
const DATA_CLASSES: Record<'shapes' | 'mnist', readonly string[]> = {
  shapes: SHAPE_CLASSES,
  mnist: Array.from({ length: 10 }, (_, i) => String(i)),
};

/**
 * A model explains the data's labels only if it outputs one score per class of the data, in
 * label order: the count must match, and class names, when the model has any, must be the data's.
 */
function checkClasses(model: Classifier, data: 'shapes' | 'mnist'): void {
  const want = DATA_CLASSES[data];
  const have = model.classes;
  if (have.length !== want.length) {
    throw new CamlabError('eval', `${model.name} outputs ${have.length} class scores but the ${data} data has ${want.length} classes (${want.join(', ')}); eval needs a model trained on that data`);
  }
  const unnamed = have.every((c, i) => c === String(i));
  if (!unnamed && have.some((c, i) => c !== want[i])) {
    throw new CamlabError('eval', `${model.name}'s classes (${have.join(', ')}) are not the ${data} classes in label order (${want.join(', ')})`);
  }
}

/** Copies the example pictures a shard wrote into the merged report's examples/. */
function copyExamples(from: string, out: OutputFolder): void {
  const dir = join(from, 'examples');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) out.write(join('examples', f), new Uint8Array(readFileSync(join(dir, f))));
}

/** Merges shard results (one folder each) into the report a single run writes; returns what summary.json holds. */
function mergeShards(dirs: readonly string[], outArg: string | undefined, log: (s: string) => void, started: { wall: number; cpu: number }): EvalReport {
  if (dirs.length === 0) throw new CamlabError('eval', '--merge needs the shard result folders (camlab eval --merge DIR...)');
  const files: ShardFile[] = dirs.map((d) => readShard(d));
  const first = files[0]!;
  files.forEach((f, i) => {
    if (f.command !== first.command) throw new CamlabError('eval', `--merge: ${dirs[i]} holds a shard of '${f.command}', not of '${first.command}'`);
  });
  let merged: EvalPart;
  try {
    merged = mergeParts(files.map((f) => f.part));
  } catch (e) {
    if (e instanceof CamlabError) throw new CamlabError('eval', `--merge: ${e.message}`);
    throw e;
  }
  const out = new OutputFolder('eval', outArg ?? join('out', `eval-${merged.context.data}`));
  out.check();
  for (const d of dirs) copyExamples(d, out);
  const report: EvalReport = { command: first.command, ...summarize(merged.context, merged.records) };
  const timing: EvalTiming = {
    seconds: (performance.now() - started.wall) / 1000, cpuSeconds: (cpuMs() - started.cpu) / 1000,
    sharedMs: merged.timing.shared, methods: merged.timing.methods,
  };
  logTables(report, log);
  logTiming(report, timing, log);
  const written = commitOrAbort(out, () => writeReport(out, report, merged.records, timing, { classes: first.classes, examples: merged.context.examples }));
  log('');
  log(`merged ${files.length} shard results (${merged.context.images} images); wrote ${written.join(', ')}`);
  return report;
}

/**
 * `camlab eval`: parses the arguments, runs the evaluation (all images, or one shard), or merges
 * shard results, and writes the report. Returns what summary.json holds (for a shard: the
 * summary of its images alone).
 */
export function evalCommand(argv: readonly string[], log: (s: string) => void, progress: Progress = new Progress(null)): EvalReport {
  const args = parseArgs('eval', argv, ARG_SPEC);
  const started = { wall: performance.now(), cpu: cpuMs() };
  if (args.switches.has('merge')) {
    const others = [...args.values.keys()].filter((k) => k !== 'out');
    if (others.length > 0) throw new CamlabError('eval', `--merge takes only shard folders and --out (the settings come from the shards), got --${others.join(', --')}`);
    return mergeShards(args.positional, value(args, 'out'), log, started);
  }
  if (args.positional.length > 0) throw new CamlabError('eval', `unexpected argument '${args.positional[0]}' (folders are for --merge)`);
  if (args.values.has('workers')) throw new CamlabError('eval', '--workers runs worker processes: use `camlab eval` (run or evalWorkers), not evalCommand');
  const job = parseJob(args);
  const shard = value(args, 'shard');
  const slice = shard === undefined ? null : parseShard(shard);
  const range = slice === null ? undefined : shardRange(slice.index, slice.count, job.dataset.size);
  const command = recordedCommand(argv);
  const total = ((range?.[1] ?? job.dataset.size) - (range?.[0] ?? 0));
  const t0 = performance.now();
  const task = progress.task(`eval ${job.data}`);
  const settings = job.settings;
  const plan = {
    methods: job.methods, range: range ?? [0, job.dataset.size] as const, batchSize: EVAL_BATCH_SIZE,
    curveImages: settings.curveImages ?? EVAL_CURVE_IMAGES, stabilityImages: settings.stabilityImages ?? EVAL_STABILITY_IMAGES,
  };
  const result = evaluateRecords({ module: job.model.module, spec: { name: job.model.name, input: job.model.input } }, job.dataset, job.methods, job.settings, {
    ...(range === undefined ? {} : { range }),
    clock: cpuMs,
    onProgress: (p) => task.update(p.done / Math.max(1, p.total), `${(p.done / job.methods.length).toFixed(0)}/${total} images (${p.method})`, evalSecondsLeft(plan, p)),
  });
  task.end();
  const ctx = result.context;
  if (slice === null) {
    log(`camlab eval: ${ctx.images} held-out ${job.data} images, model ${ctx.model}, layer ${job.model.layerLabel(ctx.layer)}, methods ${ctx.methods.join(', ')}`);
  } else {
    log(`camlab eval: shard ${slice.index}/${slice.count}, images [${result.range[0]}, ${result.range[1]}) of ${ctx.images} held-out ${job.data} images, model ${ctx.model}, layer ${job.model.layerLabel(ctx.layer)}, methods ${ctx.methods.join(', ')}`);
  }
  const st = ctx.settings;
  log(`explaining the ${st.explained === 'predicted' ? 'PREDICTED class of each image (--class label for the ground truth)' : 'ground-truth class of each image'}; ` +
    `masking in ${st.space} space; deletion/insertion: ${st.steps} steps, baselines ${st.baseline.deletion}/${st.baseline.insertion}, on ${st.curveImages} images; smooth methods: ${st.samples} samples; ` +
    `stability: σ = ${st.stabilityNoise} on ${st.stabilityImages} images; seed ${st.seed}`);
  log(`${total} images in ${duration((performance.now() - t0) / 1000)}`);
  const examples = Array.from({ length: Math.max(0, Math.min(ctx.examples, result.range[1]) - result.range[0]) }, (_, i) => result.range[0] + i)
    .map((image) => ({ image, sample: job.dataset.get(image) }));
  writeExamplePictures(job.out, examples, ctx.methods, result.maps, ctx.shape);
  if (slice !== null) {
    const [shardFile] = commitOrAbort(job.out, () => [writeShard(job.out, { format: 'camlab-eval-shard', version: 1, command, shard: slice, classes: [...job.model.classes], part: result })]);
    log(`wrote ${shardFile} (${result.records.length} records) and ${examples.length} example pictures; merge with camlab eval --merge DIR...`);
    return { command, ...summarize(ctx, result.records) };
  }
  const report: EvalReport = { command, ...summarize(ctx, result.records) };
  const timing: EvalTiming = { seconds: (performance.now() - started.wall) / 1000, cpuSeconds: (cpuMs() - started.cpu) / 1000, sharedMs: result.timing.shared, methods: result.timing.methods };
  logTables(report, log);
  logTiming(report, timing, log);
  const written = commitOrAbort(job.out, () => writeReport(job.out, report, result.records, timing, { classes: job.model.classes, examples: ctx.examples }));
  log('');
  log(`wrote ${written.join(', ')}`);
  return report;
}

/**
 * `camlab eval ... --workers N`: runs shards 0..N−1 as N processes of this camlab (each
 * `--shard k/N` into out/.shards/k), then merges them into out as one run would write it.
 */
export async function evalWorkers(argv: readonly string[], log: (s: string) => void, progress: Progress = new Progress(null)): Promise<EvalReport> {
  const args = parseArgs('eval', argv, ARG_SPEC);
  const n = limitedValue('eval', args, 'workers', 'workers')!;
  if (args.values.has('shard') || args.switches.has('merge')) throw new CamlabError('eval', '--workers runs every shard itself: drop --shard and --merge');
  const job = parseJob(args); // checks every argument before any process starts
  const started = { wall: performance.now(), cpu: cpuMs() };
  const childArgv = withoutRunFlags(argv);
  const shards = job.out.path('.shards');
  const dirs = Array.from({ length: n }, (_, k) => join(shards, String(k)));
  rmSync(shards, { recursive: true, force: true });
  const task = progress.task(`eval ${job.data} in ${n} workers`);
  try {
    await runWorkers(childArgv, dirs, (done) => task.update(done / n, `${done}/${n} workers done`));
    task.end();
    return mergeShards(dirs, job.out.dir, log, started);
  } finally {
    rmSync(shards, { recursive: true, force: true });
  }
}

/** Runs `stage` (which writes into `out`) and commits its files, or removes them all when it fails. */
function commitOrAbort<T>(out: OutputFolder, stage: () => T): T {
  try {
    const r = stage();
    out.commit();
    return r;
  } catch (e) {
    out.abort();
    throw e;
  }
}
