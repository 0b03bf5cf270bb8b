import { infer } from '../../nn/infer.js';
import type { Module } from '../../nn/module.js';
import type { InputSpec } from '../../nn/spec.js';
import { makeBatch } from '../../nn/train.js';
import { CamlabError, fail } from '../../tensor/errors.js';
import * as K from '../../tensor/index.js';
import { Tensor } from '../../tensor/tensor.js';
import { explain, methodDescriptor, type ExplainOptions, type RegisteredMethod } from '../methods.js';
import {
  classProbabilities, confidenceChange, deletionInsertion, energyInMask, instanceCoverage, mixSeed,
  noiseStability, perturbationBaseline, pointingGame, saliencyOrder, totalVariation,
} from '../metrics.js';
import { defaultLayer } from '../split.js';
import type { EvalDataset, EvalSample } from './dataset.js';
import { EVAL_BATCH_SIZE, resolveSettings, type EvalSettings, type ResolvedEvalSettings } from './settings.js';

/** What `evaluate` needs of a model: the module, and the spec's name and input normalization (a LoadedModel). */
export interface EvalModel {
  module: Module;
  spec: { name: string; input: InputSpec };
}

/** One image explained by one method: every per-image term of every metric (null where not computed). */
export interface EvalRecord {
  /** Index in the data set's evaluation order. */
  image: number;
  label: number;
  /** Object instances in the image (null without masks). */
  instances: number | null;
  group: string | null;
  predicted: number;
  /** The explained class. */
  cls: number;
  method: string;
  flat: boolean;
  /** Probability of the explained class on the image (Y) and on the explanation image (O). */
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
  /** Instances covered at each threshold of the settings. */
  covered: number[] | null;
  tv: number;
  stability: number | null;
}

/** What every part of one evaluation shares, whatever slice of images it ran on. */
export interface EvalContext {
  data: string;
  model: string;
  layer: string;
  /** Images in the whole evaluation. */
  images: number;
  methods: string[];
  settings: ResolvedEvalSettings;
  /** 'all', then the data set's groups (for shapes '1', '2', '3': instances per image). */
  groups: string[];
  /** The data set has instance masks: energy, pointing game and coverage are computed. */
  localization: boolean;
  /** One image's [C, H, W]. */
  shape: [number, number, number];
  /** Maps kept for the first N images. */
  examples: number;
}

/** Time spent per method, in the units of the clock given to the run (e.g. ms of CPU). */
export interface MethodTiming {
  explain: number;
  /** Average Drop / Increase in Confidence pass, localization, total variation. */
  confidence: number;
  curves: number;
  stability: number;
}

/** Records of a slice of images, the maps kept for examples (key `image:method`), and timings. */
export interface EvalRecords {
  context: EvalContext;
  /** Images [from, to) of the evaluation order this part covers. */
  range: [number, number];
  records: EvalRecord[];
  maps: Map<string, Float64Array>;
  timing: { methods: Record<string, MethodTiming>; shared: number };
}

/** How a run is carried out (none of it changes the numbers). */
export interface EvalRunOptions {
  /** Evaluate only images [from, to) (whole batches of {@link EVAL_BATCH_SIZE}, e.g. from `shardRange`). */
  range?: readonly [number, number];
  /** A clock for the timings (e.g. CPU ms); default: none, timings are 0. */
  clock?: () => number;
  /**
   * Called before each method's pass over a batch: image-method pairs done and in all, the batch
   * (images [from, to)) and the time spent so far per method and phase (for estimates of the time
   * left: the first images also get the expensive curves and stability).
   */
  onProgress?: (p: { done: number; total: number; method: string; batch: readonly [number, number]; timing: EvalRecords['timing'] }) => void;
}

interface CurveEntry {
  order: Int32Array;
  del: number[];
  ins: number[];
  delAuc: number;
  insAuc: number;
}

function sliceRows(x: Tensor, rows: readonly number[]): Tensor {
  const per = x.size / x.shape[0]!;
  const data = new Float64Array(rows.length * per);
  rows.forEach((r, i) => data.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(data, [rows.length, ...x.shape.slice(1)]);
}

function sameOrder(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The evaluation's shared context: checks the data set against the model and resolves layer and settings. */
export function evalContext(model: EvalModel, dataset: EvalDataset, methods: readonly string[], settings: EvalSettings): EvalContext {
  const [c, h, w] = dataset.shape;
  const inp = model.spec.input;
  if (inp.channels !== c || inp.height !== h || inp.width !== w) {
    fail('evaluate', `model ${model.spec.name} expects ${inp.channels}x${inp.height}x${inp.width} inputs but ${dataset.name} images are ${c}x${h}x${w}`);
  }
  if (!Number.isInteger(dataset.size) || dataset.size < 1) fail('evaluate', `the data set ${dataset.name} has no images (size ${dataset.size})`);
  if (methods.length === 0) fail('evaluate', 'needs at least one method');
  const names = [...new Set(methods.map((m) => methodDescriptor(m, 'evaluate').name))];
  const examples = settings.examples ?? 0;
  if (!Number.isInteger(examples) || examples < 0) fail('evaluate', `examples must be a non-negative integer, got ${examples}`);
  const layer = settings.layer ?? defaultLayer(model.module, inputBatch([0], dataset, inp));
  model.module.get(layer); // unknown layers fail here, listing the valid names
  return {
    data: dataset.name, model: model.spec.name, layer, images: dataset.size, methods: names,
    settings: resolveSettings(settings, dataset.size, h * w),
    groups: ['all', ...(dataset.groups ?? [])],
    localization: dataset.masks === true,
    shape: [c, h, w],
    examples: Math.min(examples, dataset.size),
  };
}

/** A batch [B,C,H,W] in float64, normalized as the model expects, (p − mean)/std. */
function inputBatch(indices: readonly number[], dataset: EvalDataset, spec: InputSpec): Tensor {
  return makeBatch(dataset, indices, 0, spec, 'float64').x;
}

/**
 * Explains images [from, to) of the data set with every method and computes each image's terms
 * of every metric: Average Drop and Increase in Confidence, deletion/insertion curves (first
 * `curveImages` images), energy, pointing game and instance coverage (with masks), total
 * variation, stability (first `stabilityImages` images). Batches of {@link EVAL_BATCH_SIZE}
 * images; a stochastic method explains one image at a time with the seed mixSeed(seed, image),
 * so any slice of whole batches gives the records a full run gives for those images.
 */
export function evaluateRecords(model: EvalModel, dataset: EvalDataset, methods: readonly string[], settings: EvalSettings = {}, run: EvalRunOptions = {}): EvalRecords {
  const ctx = evalContext(model, dataset, methods, settings);
  const st = ctx.settings;
  const [from, to] = run.range ?? [0, ctx.images];
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > ctx.images || from > to || (from % EVAL_BATCH_SIZE !== 0 && from !== to)) {
    fail('evaluate', `range [${from}, ${to}) must lie in [0, ${ctx.images}] and start at a multiple of ${EVAL_BATCH_SIZE}`);
  }
  const clock = run.clock ?? ((): number => 0);
  const module = model.module;
  const descriptors = ctx.methods.map((m) => methodDescriptor(m));
  const norm = { ...(model.spec.input.mean ? { mean: model.spec.input.mean } : {}), ...(model.spec.input.std ? { std: model.spec.input.std } : {}) };
  const spaceOpts = { space: st.space, normalization: norm } as const;
  const [, H, W] = ctx.shape;
  const P = H * W;
  const records: EvalRecord[] = [];
  const maps = new Map<string, Float64Array>();
  const timing: EvalRecords['timing'] = { methods: Object.fromEntries(ctx.methods.map((m) => [m, { explain: 0, confidence: 0, curves: 0, stability: 0 }])), shared: 0 };
  let done = 0;
  const total = (to - from) * ctx.methods.length;

  /** Maps [B,H,W] and flat flags of one method for a batch; a stochastic method runs image by image. */
  const explainBatch = (d: RegisteredMethod, x: Tensor, classes: readonly number[], indices: readonly number[]): { maps: Tensor; flat: boolean[] } => {
    const go = (xs: Tensor, cls: readonly number[], seed: number | null): { maps: Tensor; flat: boolean[] } => {
      const opts: ExplainOptions = { target: [...cls], layer: ctx.layer, samples: st.samples, ...d.fastOptions };
      if (seed !== null) opts.seed = seed;
      try {
        const r = explain(d.name, module, xs, opts);
        return { maps: r.upsampled, flat: r.flat };
      } catch (e) {
        if (e instanceof CamlabError) fail('evaluate', `method '${d.name}' failed at layer ${ctx.layer}: ${e.message} (choose other methods)`);
        throw e;
      }
    };
    if (!d.stochastic) return go(x, classes, null);
    const out = new Float64Array(classes.length * P);
    const flat: boolean[] = [];
    classes.forEach((c, i) => {
      const r = go(sliceRows(x, [i]), [c], mixSeed(st.seed, indices[i]!));
      out.set(r.maps.data, i * P);
      flat.push(r.flat[0]!);
    });
    return { maps: new Tensor(out, [classes.length, H, W]), flat };
  };

  for (let start = from; start < to; start += EVAL_BATCH_SIZE) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH_SIZE, to - start) }, (_, i) => start + i);
    const t0 = clock();
    const samples: EvalSample[] = indices.map((i) => dataset.get(i));
    const x = inputBatch(indices, dataset, model.spec.input);
    const logits = infer(module, x);
    const probs = K.softmax(logits, -1);
    const k = logits.shape[1]!;
    const predicted = indices.map((_, i) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (logits.data[i * k + j]! > logits.data[i * k + best]!) best = j;
      return best;
    });
    const classes = st.explained === 'predicted' ? predicted : samples.map((s) => s.label);
    classes.forEach((c, i) => {
      if (c >= k) fail('evaluate', `image ${indices[i]} has label ${c} but the model has ${k} classes`);
    });
    const y = classes.map((c, i) => probs.data[i * k + c]!);
    const delBase = perturbationBaseline(x, st.baseline.deletion, spaceOpts);
    const insBase = st.baseline.insertion === st.baseline.deletion ? delBase : perturbationBaseline(x, st.baseline.insertion, spaceOpts);
    const delProbs = classProbabilities(module, delBase, classes);
    const endpoints = { clean: y, deletionBaseline: delProbs, insertionBaseline: insBase === delBase ? delProbs : classProbabilities(module, insBase, classes) };
    const masks = samples.map((s, i) => {
      if (!ctx.localization) return null;
      if (s.instances === undefined) fail('evaluate', `image ${indices[i]} of ${ctx.data} has no instance masks, but the data set says it has`);
      return s.instances;
    });
    const union = masks.map((list) => {
      if (list === null) return null;
      const u = new Uint8Array(P);
      for (const m of list) for (let j = 0; j < P; j++) if (m[j] !== 0) u[j] = 1;
      return u;
    });
    const stabRows = indices.map((im, i) => (im < st.stabilityImages ? i : -1)).filter((i) => i >= 0);
    const curveRows = indices.map((im, i) => (im < st.curveImages ? i : -1)).filter((i) => i >= 0);
    const seenOrders: CurveEntry[][] = indices.map(() => []);
    timing.shared += clock() - t0;

    for (const d of descriptors) {
      const tm = timing.methods[d.name]!;
      run.onProgress?.({ done, total, method: d.name, batch: [start, start + indices.length], timing });
      let t = clock();
      const { maps: m, flat } = explainBatch(d, x, classes, indices);
      tm.explain += clock() - t;

      t = clock();
      const conf = confidenceChange(module, x, m, classes, { ...spaceOpts, clean: y });
      const tv = totalVariation(m);
      const energy = ctx.localization ? energyInMask(m, union as Uint8Array[]) : null;
      const pointing = ctx.localization ? pointingGame(m, union as Uint8Array[]) : null;
      const coverage = ctx.localization ? instanceCoverage(m, masks as ArrayLike<number>[][], st.thresholds) : null;
      tm.confidence += clock() - t;

      t = clock();
      // Deletion/insertion depend on the map only through its pixel order: maps of this image with
      // the same order as an earlier method's (e.g. identical maps) reuse its curves.
      const curveOf = new Map<number, CurveEntry>();
      const todo: number[] = [];
      const orders = new Map<number, Int32Array>();
      for (const i of curveRows) {
        const o = saliencyOrder(m.data.subarray(i * P, (i + 1) * P));
        orders.set(i, o);
        const hit = seenOrders[i]!.find((e) => sameOrder(e.order, o));
        if (hit !== undefined) curveOf.set(i, hit);
        else todo.push(i);
      }
      if (todo.length > 0) {
        const curves = deletionInsertion(module, sliceRows(x, todo), sliceRows(m, todo), todo.map((i) => classes[i]!), {
          ...spaceOpts, steps: st.steps, baseline: st.baseline,
          endpoints: { clean: todo.map((i) => y[i]!), deletionBaseline: todo.map((i) => endpoints.deletionBaseline[i]!), insertionBaseline: todo.map((i) => endpoints.insertionBaseline[i]!) },
        });
        todo.forEach((i, j) => {
          const e: CurveEntry = { order: orders.get(i)!, del: curves.deletion[j]!, ins: curves.insertion[j]!, delAuc: curves.deletionAuc[j]!, insAuc: curves.insertionAuc[j]! };
          seenOrders[i]!.push(e);
          curveOf.set(i, e);
        });
      }
      tm.curves += clock() - t;

      t = clock();
      const stability = new Map<number, number>();
      if (stabRows.length > 0) {
        const xs = sliceRows(x, stabRows);
        const cls = stabRows.map((i) => classes[i]!);
        const idx = stabRows.map((i) => indices[i]!);
        const r = noiseStability((noisy) => explainBatch(d, noisy, cls, idx).maps, xs, { ...spaceOpts, noise: st.stabilityNoise, seed: mixSeed(st.seed, 0x57ab), indices: idx });
        stabRows.forEach((i, j) => stability.set(i, r[j]!));
      }
      tm.stability += clock() - t;

      samples.forEach((s, i) => {
        const c = curveOf.get(i) ?? null;
        const image = indices[i]!;
        records.push({
          image, label: s.label, instances: masks[i]?.length ?? null, group: s.group ?? null, predicted: predicted[i]!, cls: classes[i]!, method: d.name,
          flat: flat[i]!, y: conf.y[i]!, o: conf.o[i]!, drop: conf.drop[i]!, increase: conf.increase[i]!,
          deletionAuc: c?.delAuc ?? null, insertionAuc: c?.insAuc ?? null, deletion: c?.del ?? null, insertion: c?.ins ?? null,
          energy: energy?.[i] ?? null, pointing: pointing?.[i] ?? null, covered: coverage?.[i]?.covered ?? null,
          tv: tv[i]!, stability: stability.get(i) ?? null,
        });
        if (image < ctx.examples) maps.set(`${image}:${d.name}`, Float64Array.from(m.data.subarray(i * P, (i + 1) * P)));
      });
      done += indices.length;
    }
  }
  return { context: ctx, range: [from, to], records, maps, timing };
}
