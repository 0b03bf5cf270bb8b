import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classProbabilities, confidenceChange, deletionInsertion, energyInMask, instanceCoverage, mixSeed,
  noiseStability, perturbationBaseline, pointingGame, saliencyOrder, totalVariation, winPercent,
  type BaselineKind, type PerturbationSpace, type WinResult,
} from '../cam/metrics.js';
import { isMethodName, METHOD_DESCRIPTORS, METHOD_NAMES, explain, type ExplainOptions } from '../cam/methods.js';
import { barsSvg, curvesSvg, escapeXml as esc, type BarPanel } from '../cam/plots.js';
import { enlarge, overlay } from '../cam/render.js';
import { defaultLayer } from '../cam/split.js';
import { infer } from '../nn/infer.js';
import { SHAPES_HELD_OUT_SEED } from '../data/datasets.js';
import { loadMnist } from '../data/mnist.js';
import { shapeAt } from '../data/shapes.js';
import { inputToImage } from '../io/image.js';
import { encodePng } from '../io/png.js';
import type { InputSpec } from '../nn/spec.js';
import { makeBatch, type Dataset } from '../nn/train.js';
import { CamlabError } from '../tensor/errors.js';
import { softmax } from '../tensor/reduce.js';
import { Tensor } from '../tensor/tensor.js';
import { numberValue, parseArgs, value } from './args.js';
import { resolveModel } from '../node/files.js';
import { displayFactor, duration, table } from './report.js';

export const EVAL_HELP = `camlab eval [--data shapes|mnist] [options]

Scores explanation methods on held-out data and writes a report. Every method explains the
model's PREDICTED class of each image (--class label for the ground-truth class). Metrics:
Average Drop %, Increase in Confidence %, Win % (Grad-CAM++ paper), deletion/insertion AUC
(RISE), and on shapes (which have exact object masks) energy inside the objects, pointing game
and instance coverage; plus total variation (smoothness) and stability under input noise.

  --data shapes|mnist      shapes: held-out synthetic images (seed ${SHAPES_HELD_OUT_SEED}) with 1, 2 and
                           3 instances in turn, classes in turn (balanced); mnist: held-out
                           digits, classes in turn (default shapes)
  --model NAME|SPEC.json   default: the bundled model for the data (shapes-cnn, mnist-cnn)
  --weights FILE           safetensors weights (default: next to the spec)
  --images N               images to evaluate (default 500)
  --method M               repeatable; or --methods a,b,c (default: every method)
  --layer L                CAM layer for every CAM method (default: the model's last 4-D layer)
  --class predicted|label  which class to explain (default predicted)
  --samples N              noisy samples of smoothgrad / smooth-gradcam++ (default 10)
  --steps S                deletion/insertion steps (default 16)
  --baseline zero|mean|blur  both curves' baseline (default: RISE's, zero for deletion, blur for insertion)
  --space pixel|normalized where masking happens (default pixel: [0,1] pixels before normalization)
  --stability-noise S      σ of the two input noises of the stability metric, in [0,1] pixel units (default 0.05)
  --curve-images N         deletion/insertion curves on the first N images only (default 32)
  --stability-images N     stability on the first N images only (default 16)
  --seed K                 seed of every noise (default 0): same command, same numbers
  --examples N             images shown with overlays in index.html (default 6)
  --out DIR                default out/eval-<data>

The cheap metrics run on every image. The expensive ones run on the first images only by default
(deletion/insertion: 2(S−1) forward passes per image and method; stability: two more
explanations per image and method), so that the default run (every method, 500 shapes images)
stays under 10 minutes on one core; the first images are balanced (instance counts and classes
cycle). Pass --curve-images N --stability-images N to score more.

Writes results.csv (one row per image and method), summary.json (deterministic), timing.json,
curves.svg (mean deletion/insertion curves), bars.svg and index.html.`;

/** Methods whose result depends on a noise seed: explained one image at a time, with a per-image seed. */
const RANDOM_METHODS: ReadonlySet<string> = new Set(METHOD_DESCRIPTORS.filter((d) => d.stochastic).map((d) => d.name));
/** Instance-coverage thresholds. */
const THRESHOLDS = [0.25, 0.5, 0.75] as const;
/** Images per chunk: explanations of the deterministic methods and all metric passes run per chunk. */
const CHUNK = 8;
/** Diagonal entries per batched pass of gradcam++-exact (the fastest setting measured on shapes-cnn). */
const EXACT_BATCH = 64;
/** Default number of images (the first ones) that get deletion/insertion curves and stability: the expensive metrics. */
const DEFAULT_CURVE_IMAGES = 32;
const DEFAULT_STABILITY_IMAGES = 16;
/** Drops (in percentage points) closer than this tie in Win %, so maps equal up to rounding tie. */
const WIN_TOLERANCE = 1e-6;
const TIMING_HEADER = ['method', 'explain', 'AD+loc', 'curves', 'stability', 'total s'];

interface CurveEntry {
  order: Int32Array;
  del: number[];
  ins: number[];
  delAuc: number;
  insAuc: number;
}

interface EvalImage {
  /** Index in the data set's evaluation order. */
  index: number;
  /** CHW pixels in [0, 1]. */
  pixels: ArrayLike<number>;
  label: number;
  /** Object instance masks (shapes only). */
  instances: Uint8Array[] | null;
}

interface Row {
  image: number;
  label: number;
  instances: number | null;
  predicted: number;
  cls: number;
  method: string;
  flat: boolean;
  y: number;
  o: number;
  drop: number;
  increase: boolean;
  deletionAuc: number | null;
  insertionAuc: number | null;
  deletion: number[] | null;
  insertion: number[] | null;
  energy: number | null;
  pointing: boolean | null;
  covered: number[] | null;
  tv: number;
  stability: number | null;
}

/** Aggregates of one method on one group of images. */
export interface GroupMetrics {
  images: number;
  averageDrop: number;
  increaseInConfidence: number;
  /** Mean deletion/insertion AUC over the group's first --curve-images images (null when none). */
  deletionAuc: number | null;
  insertionAuc: number | null;
  curveImages: number;
  energy: number | null;
  pointing: number | null;
  /** % of instances covered, per threshold (keys '0.25', …). */
  coverage: Record<string, number> | null;
  totalVariation: number;
  stability: number | null;
  stabilityImages: number;
  flat: number;
  meanDeletion: number[];
  meanInsertion: number[];
}

/** What `camlab eval` writes to summary.json (and returns): settings and aggregates, no timings. */
export interface EvalSummary {
  command: string;
  data: 'shapes' | 'mnist';
  model: string;
  layer: string;
  images: number;
  methods: string[];
  settings: {
    explained: 'predicted' | 'label';
    samples: number;
    steps: number;
    baseline: { deletion: BaselineKind; insertion: BaselineKind };
    space: PerturbationSpace;
    stabilityNoise: number;
    stabilityImages: number;
    curveImages: number;
    seed: number;
    thresholds: number[];
  };
  /** Group names: 'all', and for shapes '1', '2', '3' (instances per image). */
  groups: string[];
  /** Accuracy (%) of the model on the evaluated images, per group. */
  accuracy: Record<string, number>;
  fractions: number[];
  results: Record<string, Record<string, GroupMetrics>>;
  /** win[a][b]: % of images where a's drop is smaller than b's by more than 1e-6 points (ties count for neither), all images. */
  win: Record<string, Record<string, WinResult>>;
}

interface Timing {
  explainMs: number;
  /** Average Drop / Increase in Confidence pass, localization, total variation. */
  confidenceMs: number;
  curvesMs: number;
  stabilityMs: number;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The images of a data set in evaluation order. */
function loadImages(data: 'shapes' | 'mnist', count: number): EvalImage[] {
  if (data === 'shapes') {
    return Array.from({ length: count }, (_, i) => {
      const s = shapeAt(SHAPES_HELD_OUT_SEED, i, { instances: (1 + (i % 3)) as 1 | 2 | 3 });
      return { index: i, pixels: s.image, label: s.label, instances: s.instances.map((k) => k.mask) };
    });
  }
  const { heldOut } = loadMnist();
  if (count > heldOut.images.length) throw new CamlabError('eval', `--images ${count} is more than the ${heldOut.images.length} held-out MNIST digits`);
  // Classes in turn: digit 0, 1, …, 9, 0, … (the k-th of each class in package order); a class that
  // runs out is skipped.
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  heldOut.labels.forEach((l, i) => byClass[l]!.push(i));
  const order: number[] = [];
  for (let k = 0; order.length < count; k++) {
    for (let c = 0; c < 10 && order.length < count; c++) {
      const i = byClass[c]![k];
      if (i !== undefined) order.push(i);
    }
  }
  return order.map((i, index) => ({ index, pixels: heldOut.images[i]!, label: heldOut.labels[i]!, instances: null }));
}

/** A batch [B,C,H,W] in float64, normalized as the model expects, (p − mean)/std. */
function inputBatch(images: readonly EvalImage[], spec: InputSpec): Tensor {
  const data: Dataset = { size: images.length, shape: [spec.channels, spec.height, spec.width], get: (i) => ({ x: images[i]!.pixels, label: images[i]!.label }) };
  return makeBatch(data, images.map((_, i) => i), 0, spec, 'float64').x;
}

function sliceRows(x: Tensor, rows: readonly number[]): Tensor {
  const per = x.size / x.shape[0]!;
  const data = new Float64Array(rows.length * per);
  rows.forEach((r, i) => data.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(data, [rows.length, ...x.shape.slice(1)]);
}

function safeName(method: string): string {
  return method.replace(/\+/g, 'p').replace(/[^a-zA-Z0-9_-]/g, '_');
}

function csvNum(v: number | null): string {
  if (v === null) return '';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
}

function sameOrder(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `camlab eval`: runs every chosen method over N held-out images, computes the metrics, prints a
 * table per metric and writes the report files. Returns the summary (what summary.json holds).
 */
export function evalCommand(argv: readonly string[], log: (s: string) => void, progress: (s: string) => void = () => {}): EvalSummary {
  const args = parseArgs('eval', argv, {
    values: ['data', 'model', 'weights', 'images', 'methods', 'layer', 'class', 'samples', 'steps', 'baseline', 'space', 'stability-noise', 'curve-images', 'stability-images', 'seed', 'examples', 'out'],
    repeatable: ['method'],
    positional: [0, 0],
  });
  const data = value(args, 'data') ?? 'shapes';
  if (data !== 'shapes' && data !== 'mnist') throw new CamlabError('eval', `--data must be shapes or mnist, got '${data}'`);
  const methods: string[] = [];
  for (const m of [...(args.values.get('method') ?? []), ...(value(args, 'methods')?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [])]) {
    if (!isMethodName(m)) throw new CamlabError('eval', `unknown method '${m}'; known: ${METHOD_NAMES.join(', ')}`);
    if (!methods.includes(m)) methods.push(m);
  }
  if (methods.length === 0) methods.push(...METHOD_NAMES);
  const count = numberValue('eval', args, 'images', { integer: true, min: 1 }) ?? 500;
  const samples = numberValue('eval', args, 'samples', { integer: true, min: 1 }) ?? 10;
  const steps = numberValue('eval', args, 'steps', { integer: true, min: 1 }) ?? 16;
  const seed = numberValue('eval', args, 'seed', { integer: true }) ?? 0;
  if (!Number.isSafeInteger(seed)) throw new CamlabError('eval', `--seed must be a safe integer, got ${seed}`);
  const stabilityNoise = numberValue('eval', args, 'stability-noise', { min: 0 }) ?? 0.05;
  const curveImages = Math.min(count, numberValue('eval', args, 'curve-images', { integer: true, min: 0 }) ?? DEFAULT_CURVE_IMAGES);
  const stabilityImages = Math.min(count, numberValue('eval', args, 'stability-images', { integer: true, min: 0 }) ?? DEFAULT_STABILITY_IMAGES);
  const exampleCount = Math.min(count, numberValue('eval', args, 'examples', { integer: true, min: 0 }) ?? 6);
  const explained = value(args, 'class') ?? 'predicted';
  if (explained !== 'predicted' && explained !== 'label') throw new CamlabError('eval', `--class must be predicted or label, got '${explained}'`);
  const baselineArg = value(args, 'baseline');
  if (baselineArg !== undefined && !['zero', 'mean', 'blur'].includes(baselineArg)) throw new CamlabError('eval', `--baseline must be zero, mean or blur, got '${baselineArg}'`);
  const baseline = baselineArg === undefined ? { deletion: 'zero' as const, insertion: 'blur' as const } : { deletion: baselineArg as BaselineKind, insertion: baselineArg as BaselineKind };
  const space = value(args, 'space') ?? 'pixel';
  if (space !== 'pixel' && space !== 'normalized') throw new CamlabError('eval', `--space must be pixel or normalized, got '${space}'`);
  const out = value(args, 'out') ?? join('out', `eval-${data}`);

  const modelName = value(args, 'model') ?? (data === 'shapes' ? 'shapes-cnn' : 'mnist-cnn');
  const { spec, module: model } = resolveModel(modelName, value(args, 'weights'));
  const [wantC, wantH, wantW] = data === 'shapes' ? [3, 64, 64] : [1, 28, 28];
  if (spec.input.channels !== wantC || spec.input.height !== wantH || spec.input.width !== wantW) {
    throw new CamlabError('eval', `model ${spec.name} expects ${spec.input.channels}x${spec.input.height}x${spec.input.width} inputs but ${data} images are ${wantC}x${wantH}x${wantW}`);
  }
  if (steps > wantH * wantW) throw new CamlabError('eval', `--steps ${steps} is more than the ${wantH * wantW} pixels of an image`);
  const images = loadImages(data, count);
  const layer = value(args, 'layer') ?? defaultLayer(model, inputBatch(images.slice(0, 1), spec.input));
  model.get(layer); // unknown layers fail here, listing the valid names
  const norm = { ...(spec.input.mean ? { mean: spec.input.mean } : {}), ...(spec.input.std ? { std: spec.input.std } : {}) };
  const spaceOpts = { space, normalization: norm } as const;
  const groups = data === 'shapes' ? ['all', '1', '2', '3'] : ['all'];

  log(`camlab eval: ${count} held-out ${data} images, model ${spec.name}, layer ${layer}, methods ${methods.join(', ')}`);
  log(`explaining the ${explained === 'predicted' ? 'PREDICTED class of each image (--class label for the ground truth)' : 'ground-truth class of each image'}; ` +
    `masking in ${space} space; deletion/insertion: ${steps} steps, baselines ${baseline.deletion}/${baseline.insertion}, on ${curveImages} images; smooth methods: ${samples} samples; ` +
    `stability: σ = ${stabilityNoise} on ${stabilityImages} images; seed ${seed}`);

  const methodOpts = (m: string, classes: readonly number[], imageIndex: number | null): ExplainOptions => {
    const o: ExplainOptions = { target: [...classes] };
    if (m !== 'smoothgrad') o.layer = layer;
    if (RANDOM_METHODS.has(m)) {
      o.samples = samples;
      o.seed = mixSeed(seed, imageIndex ?? 0);
    }
    if (m === 'scorecam') o.batchSize = 32;
    if (m === 'gradcam++-exact') o.exact = { batchSize: EXACT_BATCH };
    return o;
  };
  /** Maps [B,H,W] and flat flags of one method for a batch; random methods run image by image. */
  const explainBatch = (m: string, x: Tensor, classes: readonly number[], indices: readonly number[]): { maps: Tensor; flat: boolean[] } => {
    const run = (xs: Tensor, cls: readonly number[], idx: number | null): { maps: Tensor; flat: boolean[] } => {
      try {
        const r = explain(m, model, xs, methodOpts(m, cls, idx));
        return { maps: r.upsampled, flat: r.flat };
      } catch (e) {
        if (e instanceof CamlabError) throw new CamlabError('eval', `method '${m}' failed at layer ${layer}: ${e.message} (choose other methods with --method)`);
        throw e;
      }
    };
    if (!RANDOM_METHODS.has(m)) return run(x, classes, null);
    const [, , h, w] = x.shape as [number, number, number, number];
    const maps = new Float64Array(classes.length * h * w);
    const flat: boolean[] = [];
    classes.forEach((c, i) => {
      const r = run(sliceRows(x, [i]), [c], indices[i]!);
      maps.set(r.maps.data, i * h * w);
      flat.push(r.flat[0]!);
    });
    return { maps: new Tensor(maps, [classes.length, h, w]), flat };
  };

  const rows: Row[] = [];
  const timing = new Map<string, Timing>(methods.map((m) => [m, { explainMs: 0, confidenceMs: 0, curvesMs: 0, stabilityMs: 0 }]));
  let sharedMs = 0;
  const examples = new Map<string, Float64Array>(); // `${image}:${method}` → map
  const started = performance.now();
  const cpuStarted = cpuMs();
  let done = 0;
  const total = count * methods.length;
  let fractions: number[] = Array.from({ length: steps + 1 }, (_, k) => Math.round((k * wantH * wantW) / steps) / (wantH * wantW));
  const { channels: C, height: H, width: W } = spec.input;
  const P = H * W;

  for (let start = 0; start < count; start += CHUNK) {
    const chunk = images.slice(start, start + CHUNK);
    const b = chunk.length;
    const t0 = cpuMs();
    const x = inputBatch(chunk, spec.input);
    const logits = infer(model, x);
    const probs = softmax(logits, -1);
    const k = logits.shape[1]!;
    const predicted = chunk.map((_, i) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (logits.data[i * k + j]! > logits.data[i * k + best]!) best = j;
      return best;
    });
    const classes = explained === 'predicted' ? predicted : chunk.map((im) => im.label);
    classes.forEach((c, i) => {
      if (c >= k) throw new CamlabError('eval', `image ${chunk[i]!.index} has label ${c} but the model has ${k} classes`);
    });
    const y = classes.map((c, i) => probs.data[i * k + c]!);
    const delBase = perturbationBaseline(x, baseline.deletion, spaceOpts);
    const insBase = baseline.insertion === baseline.deletion ? delBase : perturbationBaseline(x, baseline.insertion, spaceOpts);
    const delProbs = classProbabilities(model, delBase, classes);
    const endpoints = { clean: y, deletionBaseline: delProbs, insertionBaseline: insBase === delBase ? delProbs : classProbabilities(model, insBase, classes) };
    const indices = chunk.map((im) => im.index);
    const masks = chunk.map((im) => im.instances);
    const union = masks.map((list) => {
      if (list === null) return null;
      const u = new Uint8Array(P);
      for (const m of list) for (let j = 0; j < P; j++) if (m[j] !== 0) u[j] = 1;
      return u;
    });
    const stabRows = chunk.map((im, i) => (im.index < stabilityImages ? i : -1)).filter((i) => i >= 0);
    const curveRows = chunk.map((im, i) => (im.index < curveImages ? i : -1)).filter((i) => i >= 0);
    const seenOrders: CurveEntry[][] = chunk.map(() => []);
    sharedMs += cpuMs() - t0;

    for (const m of methods) {
      const tm = timing.get(m)!;
      progress(`eval ${data}: ${bar(done / total)} ${(done / methods.length).toFixed(0)}/${count} images, ${rate(done / methods.length, started)}, time left ${eta(done, total, started)} (${m})`);
      let t = cpuMs();
      const { maps, flat } = explainBatch(m, x, classes, indices);
      tm.explainMs += cpuMs() - t;

      t = cpuMs();
      const conf = confidenceChange(model, x, maps, classes, { ...spaceOpts, clean: y });
      const tv = totalVariation(maps);
      const hasMasks = union.every((u) => u !== null);
      const energy = hasMasks ? energyInMask(maps, union as Uint8Array[]) : null;
      const pointing = hasMasks ? pointingGame(maps, union as Uint8Array[]) : null;
      const coverage = hasMasks ? instanceCoverage(maps, masks as Uint8Array[][], THRESHOLDS) : null;
      tm.confidenceMs += cpuMs() - t;

      t = cpuMs();
      // Deletion/insertion depend on the map only through its pixel order: maps of this image with
      // the same order as an earlier method's (e.g. identical maps) reuse its curves.
      const curveOf = new Map<number, CurveEntry>();
      const todo: number[] = [];
      const orders = new Map<number, Int32Array>();
      for (const i of curveRows) {
        const o = saliencyOrder(maps.data.subarray(i * P, (i + 1) * P));
        orders.set(i, o);
        const hit = seenOrders[i]!.find((e) => sameOrder(e.order, o));
        if (hit !== undefined) curveOf.set(i, hit);
        else todo.push(i);
      }
      if (todo.length > 0) {
        const curves = deletionInsertion(model, sliceRows(x, todo), sliceRows(maps, todo), todo.map((i) => classes[i]!), {
          ...spaceOpts, steps, baseline,
          endpoints: { clean: todo.map((i) => y[i]!), deletionBaseline: todo.map((i) => endpoints.deletionBaseline[i]!), insertionBaseline: todo.map((i) => endpoints.insertionBaseline[i]!) },
        });
        fractions = curves.fractions;
        todo.forEach((i, j) => {
          const e: CurveEntry = { order: orders.get(i)!, del: curves.deletion[j]!, ins: curves.insertion[j]!, delAuc: curves.deletionAuc[j]!, insAuc: curves.insertionAuc[j]! };
          seenOrders[i]!.push(e);
          curveOf.set(i, e);
        });
      }
      tm.curvesMs += cpuMs() - t;

      t = cpuMs();
      const stability = new Map<number, number>();
      if (stabRows.length > 0) {
        const xs = sliceRows(x, stabRows);
        const cls = stabRows.map((i) => classes[i]!);
        const idx = stabRows.map((i) => indices[i]!);
        const r = noiseStability((noisy) => explainBatch(m, noisy, cls, idx).maps, xs, { ...spaceOpts, noise: stabilityNoise, seed: mixSeed(seed, 0x57ab), indices: idx });
        stabRows.forEach((i, j) => stability.set(i, r[j]!));
      }
      tm.stabilityMs += cpuMs() - t;

      chunk.forEach((im, i) => {
        const c = curveOf.get(i) ?? null;
        rows.push({
          image: im.index, label: im.label, instances: im.instances?.length ?? null, predicted: predicted[i]!, cls: classes[i]!, method: m,
          flat: flat[i]!, y: conf.y[i]!, o: conf.o[i]!, drop: conf.drop[i]!, increase: conf.increase[i]!,
          deletionAuc: c?.delAuc ?? null, insertionAuc: c?.insAuc ?? null, deletion: c?.del ?? null, insertion: c?.ins ?? null,
          energy: energy?.[i] ?? null, pointing: pointing?.[i] ?? null, covered: coverage?.[i]?.covered ?? null,
          tv: tv[i]!, stability: stability.get(i) ?? null,
        });
        if (im.index < exampleCount) examples.set(`${im.index}:${m}`, Float64Array.from(maps.data.subarray(i * P, (i + 1) * P)));
      });
      done += b;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (cpuMs() - cpuStarted) / 1000;
  progress(`eval ${data}: ${bar(1)} ${count}/${count} images in ${duration(seconds)}`);

  // Aggregation.
  const inGroup = (r: { instances: number | null }, g: string): boolean => g === 'all' || String(r.instances) === g;
  const firstMethod = methods[0]!;
  const accuracy: Record<string, number> = {};
  for (const g of groups) {
    const rs = rows.filter((r) => r.method === firstMethod && inGroup(r, g));
    accuracy[g] = (100 * rs.filter((r) => r.predicted === r.label).length) / Math.max(1, rs.length);
  }
  const results: Record<string, Record<string, GroupMetrics>> = {};
  for (const m of methods) {
    results[m] = {};
    for (const g of groups) {
      const rs = rows.filter((r) => r.method === m && inGroup(r, g));
      const stab = rs.filter((r) => r.stability !== null).map((r) => r.stability!);
      const withCurves = rs.filter((r) => r.deletion !== null);
      const meanCurve = (pick: (r: Row) => number[] | null): number[] => (withCurves.length === 0 ? [] : fractions.map((_, s) => mean(withCurves.map((r) => pick(r)![s]!))));
      const cov = data === 'shapes' ? Object.fromEntries(THRESHOLDS.map((t, ti) => {
        const inst = rs.reduce((a, r) => a + (r.instances ?? 0), 0);
        const cv = rs.reduce((a, r) => a + (r.covered?.[ti] ?? 0), 0);
        return [String(t), (100 * cv) / Math.max(1, inst)];
      })) : null;
      results[m]![g] = {
        images: rs.length,
        averageDrop: mean(rs.map((r) => r.drop)),
        increaseInConfidence: (100 * rs.filter((r) => r.increase).length) / rs.length,
        deletionAuc: withCurves.length === 0 ? null : mean(withCurves.map((r) => r.deletionAuc!)),
        insertionAuc: withCurves.length === 0 ? null : mean(withCurves.map((r) => r.insertionAuc!)),
        curveImages: withCurves.length,
        energy: data === 'shapes' ? mean(rs.map((r) => r.energy!)) : null,
        pointing: data === 'shapes' ? (100 * rs.filter((r) => r.pointing).length) / rs.length : null,
        coverage: cov,
        totalVariation: mean(rs.map((r) => r.tv)),
        stability: stab.length > 0 ? mean(stab) : null,
        stabilityImages: stab.length,
        flat: rs.filter((r) => r.flat).length,
        meanDeletion: meanCurve((r) => r.deletion),
        meanInsertion: meanCurve((r) => r.insertion),
      };
    }
  }
  const drops = new Map(methods.map((m) => [m, rows.filter((r) => r.method === m).map((r) => r.drop)]));
  const win: Record<string, Record<string, WinResult>> = {};
  for (const a of methods) {
    win[a] = {};
    for (const b of methods) if (a !== b) win[a]![b] = winPercent(drops.get(a)!, drops.get(b)!, { tolerance: WIN_TOLERANCE });
  }
  const summary: EvalSummary = {
    command: `camlab eval ${argv.join(' ')}`.trim(),
    data, model: spec.name, layer, images: count, methods,
    settings: {
      explained, samples, steps, baseline, space, stabilityNoise, stabilityImages, curveImages, seed, thresholds: [...THRESHOLDS],
    },
    groups, accuracy, fractions, results, win,
  };

  // Console tables.
  const groupTitle = (g: string): string => (g === 'all' ? 'all' : `${g} inst.`);
  log('');
  log(`accuracy on these images: ${groups.map((g) => `${groupTitle(g)} ${accuracy[g]!.toFixed(1)}%`).join(', ')} (explained class: ${explained})`);
  for (const t of metricTables(summary)) {
    log('');
    log(`${t.title} — ${t.note}`);
    log(table(['method', ...groups.map(groupTitle)], t.rows));
  }
  if (methods.length > 1) {
    log('');
    log('Win % (row beats column: smaller drop; drops within 1e-6 points tie and count for neither), all images');
    log(table(['method', ...methods], methods.map((a) => [a, ...methods.map((b) => (a === b ? '-' : win[a]![b]!.first.toFixed(1)))])));
  }
  const timingRows = methods.map((m) => {
    const t = timing.get(m)!;
    const per = (ms: number, n: number): string => (n === 0 ? '-' : (ms / n).toFixed(1));
    return [m, per(t.explainMs, count), per(t.confidenceMs, count), per(t.curvesMs, curveImages), per(t.stabilityMs, stabilityImages), ((t.explainMs + t.confidenceMs + t.curvesMs + t.stabilityMs) / 1000).toFixed(1)];
  });
  log('');
  log(`time: CPU ms per image (curves per curve image, stability per stability image) and total CPU s per method; ${duration(seconds)} wall, ${duration(cpuSeconds)} CPU in all, shared passes ${(sharedMs / 1000).toFixed(1)} s`);
  log(table(TIMING_HEADER, timingRows));

  // Files.
  mkdirSync(join(out, 'examples'), { recursive: true });
  const thresholdCols = THRESHOLDS.map((t) => `covered_${t}`);
  const csv = [
    ['image', 'label', 'instances', 'predicted', 'class', 'correct', 'method', 'flat', 'y', 'o', 'drop', 'increase', 'deletion_auc', 'insertion_auc', 'energy', 'pointing', ...thresholdCols, 'total_variation', 'stability'].join(','),
    ...rows.map((r) => [
      r.image, r.label, r.instances ?? '', r.predicted, r.cls, r.predicted === r.label ? 1 : 0, r.method, r.flat ? 1 : 0,
      csvNum(r.y), csvNum(r.o), csvNum(r.drop), r.increase ? 1 : 0, csvNum(r.deletionAuc), csvNum(r.insertionAuc),
      csvNum(r.energy), r.pointing === null ? '' : r.pointing ? 1 : 0, ...THRESHOLDS.map((_, ti) => (r.covered === null ? '' : r.covered[ti]!)),
      csvNum(r.tv), csvNum(r.stability),
    ].join(',')),
  ].join('\n');
  writeFileSync(join(out, 'results.csv'), `${csv}\n`);
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(out, 'timing.json'), `${JSON.stringify({
    seconds, cpuSeconds, sharedCpuSeconds: sharedMs / 1000, images: count, curveImages, stabilityImages,
    perMethod: Object.fromEntries(methods.map((m) => {
      const t = timing.get(m)!;
      return [m, {
        explainMsPerImage: t.explainMs / count, confidenceMsPerImage: t.confidenceMs / count,
        curvesMsPerImage: curveImages > 0 ? t.curvesMs / curveImages : null, stabilityMsPerImage: stabilityImages > 0 ? t.stabilityMs / stabilityImages : null,
        totalSeconds: (t.explainMs + t.confidenceMs + t.curvesMs + t.stabilityMs) / 1000,
      }];
    })),
  }, null, 2)}\n`);
  const curveOrNaN = (c: number[]): number[] => (c.length === fractions.length ? c : fractions.map(() => NaN));
  const curves = curvesSvg([
    { title: 'Deletion', note: 'most salient pixels removed first; lower is better', xLabel: 'fraction of pixels deleted', yLabel: 'probability of the explained class', yRange: [0, 1], series: methods.map((m) => ({ label: m, x: fractions, y: curveOrNaN(results[m]!.all!.meanDeletion) })) },
    { title: 'Insertion', note: 'most salient pixels inserted first; higher is better', xLabel: 'fraction of pixels inserted', yLabel: 'probability of the explained class', yRange: [0, 1], series: methods.map((m) => ({ label: m, x: fractions, y: curveOrNaN(results[m]!.all!.meanInsertion) })) },
  ], { title: `Mean deletion and insertion curves, ${curveImages} ${data} images (${spec.name}, layer ${layer})` });
  writeFileSync(join(out, 'curves.svg'), curves);
  writeFileSync(join(out, 'bars.svg'), barsSvg(barPanels(summary), { title: `Per-method metrics, ${count} ${data} images (${spec.name}, layer ${layer})` }));
  const exampleRows = writeExamples(out, images.slice(0, exampleCount), methods, examples, C, H, W).map((e) => {
    const r = rows.find((x) => x.image === e.image.index)!;
    const name = (c: number): string => spec.classes[c] ?? String(c);
    const inst = e.image.instances ? `, ${e.image.instances.length} instance${e.image.instances.length === 1 ? '' : 's'}` : '';
    return { ...e, caption: `image ${e.image.index}: ${name(e.image.label)}${inst}; predicted ${name(r.predicted)}; explained ${name(r.cls)} (p = ${r.y.toFixed(3)})` };
  });
  writeFileSync(join(out, 'index.html'), html(summary, exampleRows, timingRows, seconds, cpuSeconds));
  log('');
  log(`wrote ${['results.csv', 'summary.json', 'timing.json', 'curves.svg', 'bars.svg', 'index.html'].map((f) => join(out, f)).join(', ')}`);
  return summary;
}

/**
 * CPU time of this process (user + system) in ms: per-method times are measured in CPU time, so
 * they stay meaningful when other processes share the machine (wall time is reported too).
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function bar(f: number): string {
  const w = 20;
  const k = Math.max(0, Math.min(w, Math.round(f * w)));
  return `[${'#'.repeat(k)}${'.'.repeat(w - k)}]`;
}

function rate(imagesDone: number, started: number): string {
  const s = (performance.now() - started) / 1000;
  return `${(imagesDone / Math.max(s, 1e-9)).toFixed(2)} img/s`;
}

function eta(done: number, total: number, started: number): string {
  if (done === 0) return '?';
  const s = (performance.now() - started) / 1000;
  return duration((s / done) * (total - done));
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
  const defs: Array<{ key: string; title: string; note: string; get: (g: GroupMetrics) => number | null; digits: number; shapes?: boolean }> = [
    { key: 'averageDrop', title: 'Average Drop %', note: 'lower is better', get: (g) => g.averageDrop, digits: 2 },
    { key: 'increaseInConfidence', title: 'Increase in Confidence %', note: 'higher is better', get: (g) => g.increaseInConfidence, digits: 1 },
    { key: 'deletionAuc', title: 'Deletion AUC', note: 'lower is better', get: (g) => g.deletionAuc, digits: 4 },
    { key: 'insertionAuc', title: 'Insertion AUC', note: 'higher is better', get: (g) => g.insertionAuc, digits: 4 },
    { key: 'energy', title: 'Energy inside the objects (Σ_mask map / Σ map)', note: 'higher is better', get: (g) => g.energy, digits: 3, shapes: true },
    { key: 'pointing', title: 'Pointing game hits %', note: 'higher is better', get: (g) => g.pointing, digits: 1, shapes: true },
    ...s.settings.thresholds.map((t) => ({ key: `coverage@${t}`, title: `Instance coverage % at t = ${t} (instances whose mask holds a map value ≥ t)`, note: 'higher is better', get: (g: GroupMetrics) => g.coverage?.[String(t)] ?? null, digits: 1, shapes: true })),
    { key: 'totalVariation', title: 'Total variation of the map', note: 'lower is smoother', get: (g) => g.totalVariation, digits: 4 },
    { key: 'stability', title: `Stability: Pearson r of the maps under two input noises σ = ${s.settings.stabilityNoise}`, note: 'higher is more stable', get: (g) => g.stability, digits: 3 },
    { key: 'flat', title: 'Flat maps (no positive evidence; returned as zeros)', note: 'count', get: (g) => g.flat, digits: 0 },
  ];
  return defs
    .filter((d) => !d.shapes || s.data === 'shapes')
    .map((d) => ({ key: d.key, title: d.title, note: d.note, rows: s.methods.map((m) => [m, ...s.groups.map((g) => f(d.get(s.results[m]![g]!), d.digits))]) }));
}

function barPanels(s: EvalSummary): BarPanel[] {
  const series = (get: (g: GroupMetrics) => number | null): BarPanel['series'] =>
    s.groups.map((g) => ({ label: g === 'all' ? 'all images' : `${g} instance${g === '1' ? '' : 's'}`, values: s.methods.map((m) => get(s.results[m]![g]!)) }));
  const panels: BarPanel[] = [
    { title: 'Average Drop %', note: 'lower is better', categories: s.methods, series: series((g) => g.averageDrop), digits: 1 },
    { title: 'Increase in Confidence %', note: 'higher is better', categories: s.methods, series: series((g) => g.increaseInConfidence), digits: 1 },
    { title: 'Deletion AUC', note: 'lower is better', categories: s.methods, series: series((g) => g.deletionAuc), digits: 2 },
    { title: 'Insertion AUC', note: 'higher is better', categories: s.methods, series: series((g) => g.insertionAuc), digits: 2 },
  ];
  if (s.data === 'shapes') {
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

function writeExamples(out: string, images: readonly EvalImage[], methods: readonly string[], maps: ReadonlyMap<string, Float64Array>, c: number, h: number, w: number): Array<{ image: EvalImage; files: string[] }> {
  const k = displayFactor(w);
  return images.map((im) => {
    // The [0, 1] pixels as a picture (inputToImage with no normalization to undo).
    const picture = inputToImage(new Tensor(Float64Array.from(im.pixels), [1, c, h, w]), { channels: c, height: h, width: w });
    const files: string[] = [];
    const inputFile = join('examples', `img${im.index}-input.png`);
    writeFileSync(join(out, inputFile), encodePng(enlarge(picture, k)));
    files.push(inputFile);
    if (im.instances !== null) {
      // The ground truth: the picture dimmed to 25% outside the union of the instance masks.
      const gt = new Uint8Array(picture.data);
      for (let i = 0; i < w * h; i++) {
        if (im.instances.some((m) => m[i] !== 0)) continue;
        for (let j = 0; j < 3; j++) gt[4 * i + j] = Math.round(gt[4 * i + j]! * 0.25);
      }
      const maskFile = join('examples', `img${im.index}-mask.png`);
      writeFileSync(join(out, maskFile), encodePng(enlarge({ width: w, height: h, data: gt }, k)));
      files.push(maskFile);
    }
    for (const m of methods) {
      const map = maps.get(`${im.index}:${m}`)!;
      const file = join('examples', `img${im.index}-${safeName(m)}.png`);
      writeFileSync(join(out, file), encodePng(enlarge(overlay(picture, new Tensor(map, [h, w])), k)));
      files.push(file);
    }
    return { image: im, files };
  });
}

function html(s: EvalSummary, examples: ReadonlyArray<{ image: EvalImage; files: string[]; caption: string }>, timingRows: readonly string[][], seconds: number, cpuSeconds: number): string {
  const groupTitle = (g: string): string => (g === 'all' ? 'all images' : `${g} instance${g === '1' ? '' : 's'}`);
  const tableHtml = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
    `<table><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>\n${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')}</table>`;
  const tables = metricTables(s).map((t) => `<h3>${esc(t.title)} <small>(${esc(t.note)})</small></h3>\n${tableHtml(['method', ...s.groups.map(groupTitle)], t.rows)}`).join('\n');
  const win = s.methods.length > 1
    ? `<h3>Win % <small>(row beats column: its drop is smaller; drops within 10⁻⁶ points tie and count for neither)</small></h3>\n${tableHtml(['method', ...s.methods], s.methods.map((a) => [a, ...s.methods.map((b) => (a === b ? '-' : s.win[a]![b]!.first.toFixed(1)))]))}`
    : '';
  const hasMask = examples.some((e) => e.image.instances !== null);
  const exHead = `<tr><th>input</th>${hasMask ? '<th>objects</th>' : ''}${s.methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const exRows = examples.map((e) => `<tr>${e.files.map((f) => `<td><img src="${esc(f)}" alt="${esc(f)}"></td>`).join('')}</tr>\n<tr><td colspan="${e.files.length}" class="cap">${esc(e.caption)}</td></tr>`).join('\n');
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
Model accuracy on these images: ${s.groups.map((g) => `${esc(groupTitle(g))} ${s.accuracy[g]!.toFixed(1)}%`).join(', ')}.
Run time ${duration(seconds)} (wall), ${duration(cpuSeconds)} (CPU).</p>
<div class="plots"><img src="curves.svg" alt="mean deletion and insertion curves"><br><img src="bars.svg" alt="per-method metrics"></div>
<h2>Tables</h2>
${tables}
${win}
<h3>Time <small>(CPU ms per image: explanation; Average Drop pass + localization + total variation; deletion/insertion; stability; total seconds)</small></h3>
${tableHtml(TIMING_HEADER, timingRows)}
<h2>Examples</h2>
<p>Overlays (jet colormap, red = most salient) of the explained class's map.${hasMask ? ' "objects" shows the ground-truth instances (background dimmed).' : ''}</p>
<table class="ex">${exHead}
${exRows}
</table>
</body></html>
`;
}
