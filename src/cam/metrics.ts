import * as K from '../tensor/index.js';
import { infer } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import { allocate } from '../tensor/dtype.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { fmix32, Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Evaluation metrics for saliency maps: faithfulness (Average Drop, Increase in Confidence, Win %,
 * deletion/insertion curves), localization against ground-truth masks (energy inside the mask,
 * pointing game, instance coverage) and sharpness/noise (total variation, stability under input
 * noise). Every function is deterministic: no Math.random, no clock; seeded noise only.
 *
 * Conventions shared by all functions:
 * - `input` is the model's input batch [N,C,H,W] (already normalized as the model expects);
 * - `maps` are saliency maps [N,H,W] at input resolution with values in [0,1] (a CamResult's or
 *   SaliencyResult's `upsampled`);
 * - `classes[n]` is the class explained for image n (the probability of that class is measured);
 * - masking and perturbation happen in PIXEL space by default: with `normalization` = the model's
 *   (mean, std), an input value x is the pixel p = x·std + mean ∈ [0,1], the operation is applied to
 *   p and the result is normalized again, (p' − mean)/std. With `space: 'normalized'` the
 *   operation is applied to x itself (so "zero" means the mean colour). Without `normalization`
 *   the two spaces coincide.
 */

/** The model's input normalization (x − mean)/std of [0,1] pixels, per channel (as a model spec's `input`). */
export interface PixelNormalization {
  mean?: readonly number[];
  std?: readonly number[];
}

/** Where images are masked or perturbed: [0,1] pixels before the model's normalization, or the normalized input. */
export type PerturbationSpace = 'pixel' | 'normalized';

export interface SpaceOptions {
  /** 'pixel' (default): operate on [0,1] pixels p = x·std + mean; 'normalized': operate on the model input x. */
  space?: PerturbationSpace;
  /** The model's input normalization; without it pixel and normalized space are the same. */
  normalization?: PixelNormalization;
}

export interface ForwardOptions {
  /** Images per forward pass (default 64). The results do not depend on it beyond rounding. */
  batchSize?: number;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

interface Dims {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Pixels per image (h·w). */
  p: number;
}

function checkInput(op: string, input: Tensor): Dims {
  if (input.ndim !== 4) fail(op, `input must be a batch of images [N,C,H,W], got ${shapeStr(input.shape)}`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  return { n, c, h, w, p: h * w };
}

function checkMaps(op: string, maps: Tensor, d?: Dims): { n: number; h: number; w: number } {
  if (maps.ndim !== 3) fail(op, `maps must be [N,H,W], got ${shapeStr(maps.shape)}`);
  const [n, h, w] = maps.shape as [number, number, number];
  if (d !== undefined && (n !== d.n || h !== d.h || w !== d.w)) {
    fail(op, `maps ${shapeStr(maps.shape)} do not match the input [${d.n},${d.c},${d.h},${d.w}]: expected [${d.n},${d.h},${d.w}]`);
  }
  for (let i = 0; i < maps.size; i++) {
    const v = maps.data[i]!;
    if (!Number.isFinite(v)) fail(op, `map of image ${Math.floor(i / (h * w))} holds ${v} at position ${i % (h * w)}`);
  }
  return { n, h, w };
}

function checkClasses(op: string, classes: readonly number[], n: number): void {
  if (classes.length !== n) fail(op, `${classes.length} classes given for ${n} images`);
  classes.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) fail(op, `class of image ${i} must be a non-negative integer, got ${c}`);
  });
}

function checkBatch(op: string, opts: ForwardOptions): number {
  const b = opts.batchSize ?? 64;
  if (!Number.isInteger(b) || b < 1) fail(op, `batchSize must be a positive integer, got ${b}`);
  return b;
}

/** Per-channel mean and std of the normalization (0 and 1 when absent). */
function affine(op: string, c: number, norm: PixelNormalization | undefined): { mean: number[]; std: number[] } {
  const mean = norm?.mean ?? [];
  const std = norm?.std ?? [];
  if (mean.length !== 0 && mean.length !== c) fail(op, `normalization.mean has ${mean.length} values for ${c} channels`);
  if (std.length !== 0 && std.length !== c) fail(op, `normalization.std has ${std.length} values for ${c} channels`);
  const s = Array.from({ length: c }, (_, k) => std[k] ?? 1);
  s.forEach((v, k) => {
    if (!(Number.isFinite(v) && v !== 0)) fail(op, `normalization.std[${k}] must be finite and non-zero, got ${v}`);
  });
  return { mean: Array.from({ length: c }, (_, k) => mean[k] ?? 0), std: s };
}

function checkSpace(op: string, opts: SpaceOptions): PerturbationSpace {
  const space = opts.space ?? 'pixel';
  if (space !== 'pixel' && space !== 'normalized') fail(op, `space must be 'pixel' or 'normalized', got '${String(space)}'`);
  return space;
}

/**
 * Runs the model on rows pushed one at a time, in batches, without recording a graph and in eval
 * mode, and stores the softmax probability of each row's class in `out[slot]`.
 */
class ProbabilityBatcher {
  private readonly buf;
  private readonly per: number;
  private count = 0;
  private readonly rowClass: number[] = [];
  private readonly rowSlot: number[] = [];

  constructor(
    private readonly op: string,
    private readonly model: Module,
    private readonly dims: Dims,
    dtype: Tensor['dtype'],
    private readonly batch: number,
    readonly out: Float64Array,
  ) {
    this.per = dims.c * dims.p;
    this.buf = allocate(dtype, batch * this.per);
  }

  /** The buffer the next row must be written into (length C·H·W). */
  next(): Tensor['data'] {
    return this.buf.subarray(this.count * this.per, (this.count + 1) * this.per);
  }

  /** Commits the row written into `next()`. */
  push(cls: number, slot: number): void {
    this.rowClass.push(cls);
    this.rowSlot.push(slot);
    this.count++;
    if (this.count === this.batch) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const { c, h, w } = this.dims;
    const x = new Tensor(this.buf.subarray(0, this.count * this.per), [this.count, c, h, w]);
    const probs = forwardProbabilities(this.op, this.model, x);
    const k = probs.shape[1]!;
    for (let r = 0; r < this.count; r++) {
      const cls = this.rowClass[r]!;
      if (cls >= k) fail(this.op, `class ${cls} is out of range: the model has ${k} classes`);
      this.out[this.rowSlot[r]!] = probs.data[r * k + cls]!;
    }
    this.count = 0;
    this.rowClass.length = 0;
    this.rowSlot.length = 0;
  }
}

function forwardProbabilities(op: string, model: Module, x: Tensor): Tensor {
  const out = infer(model, x);
  if (out.ndim !== 2 || out.shape[0] !== x.shape[0]) fail(op, `the model must return [N, classes] logits, got ${shapeStr(out.shape)} for ${x.shape[0]} images`);
  return K.softmax(out, -1);
}

/**
 * Softmax probability of `classes[n]` for every image of the batch (one no-grad, eval-mode
 * forward pass per `batchSize` images).
 */
export function classProbabilities(model: Module, input: Tensor, classes: readonly number[], opts: ForwardOptions = {}): number[] {
  const op = 'classProbabilities';
  const d = checkInput(op, input);
  checkClasses(op, classes, d.n);
  const batcher = new ProbabilityBatcher(op, model, d, input.dtype, checkBatch(op, opts), new Float64Array(d.n));
  const per = d.c * d.p;
  for (let i = 0; i < d.n; i++) {
    batcher.next().set(input.data.subarray(i * per, (i + 1) * per));
    batcher.push(classes[i]!, i);
  }
  batcher.flush();
  return Array.from(batcher.out);
}

// ---------------------------------------------------------------------------------------------
// Average Drop, Increase in Confidence, Win %

/**
 * The explanation image of the Grad-CAM++ paper (Chattopadhay et al., WACV 2018, §6.1):
 * E = map ⊙ image, the upsampled normalized map multiplied into every channel. In pixel space
 * (default) E's pixels are map·p with p = x·std + mean, returned normalized as the model expects,
 * (map·p − mean)/std; in normalized space E = map·x. Returns [N,C,H,W].
 */
export function explanationImage(input: Tensor, maps: Tensor, opts: SpaceOptions = {}): Tensor {
  const op = 'explanationImage';
  const d = checkInput(op, input);
  checkMaps(op, maps, d);
  const space = checkSpace(op, opts);
  const { mean, std } = affine(op, d.c, opts.normalization);
  const out = allocate(input.dtype, input.size);
  for (let i = 0; i < d.n; i++) {
    for (let k = 0; k < d.c; k++) {
      const base = (i * d.c + k) * d.p;
      const m = mean[k]!;
      const s = std[k]!;
      for (let j = 0; j < d.p; j++) {
        const a = maps.data[i * d.p + j]!;
        const x = input.data[base + j]!;
        out[base + j] = space === 'normalized' ? a * x : (a * (x * s + m) - m) / s;
      }
    }
  }
  return new Tensor(out, input.shape);
}

/** Per image: the probabilities on the image (Y) and on the explanation image (O), and the paper's per-image terms. */
export interface ConfidenceResult {
  /** Y_n: probability of the explained class on the image. */
  y: number[];
  /** O_n: probability of the explained class on E = map ⊙ image. */
  o: number[];
  /** 100·max(0, Y − O)/Y per image (0 when Y = 0). Its mean is the Average Drop %. */
  drop: number[];
  /** Y < O per image. The share of true values ×100 is the Increase in Confidence %. */
  increase: boolean[];
}

/**
 * Y and O for every image (Grad-CAM++ paper, §6.1): Y from the image, O from E = map ⊙ image
 * ({@link explanationImage}). Pass `clean` (the probabilities Y, e.g. from an earlier pass) to
 * skip the forward pass on the unmasked images.
 */
export function confidenceChange(
  model: Module, input: Tensor, maps: Tensor, classes: readonly number[],
  opts: SpaceOptions & ForwardOptions & { clean?: readonly number[] } = {},
): ConfidenceResult {
  const op = 'confidenceChange';
  const d = checkInput(op, input);
  checkClasses(op, classes, d.n);
  if (opts.clean !== undefined && opts.clean.length !== d.n) fail(op, `${opts.clean.length} clean probabilities given for ${d.n} images`);
  const e = explanationImage(input, maps, opts);
  const y = opts.clean !== undefined ? [...opts.clean] : classProbabilities(model, input, classes, opts);
  const o = classProbabilities(model, e, classes, opts);
  return { y, o, drop: y.map((yi, i) => dropPercent(yi, o[i]!)), increase: y.map((yi, i) => yi < o[i]!) };
}

/** One image's drop in confidence, 100·max(0, Y − O)/Y; defined as 0 when Y = 0 (nothing to lose). */
export function dropPercent(y: number, o: number): number {
  if (!(y >= 0 && y <= 1) || !(o >= 0 && o <= 1)) fail('dropPercent', `probabilities must be in [0, 1], got Y = ${y}, O = ${o}`);
  return y === 0 ? 0 : (100 * Math.max(0, y - o)) / y;
}

function checkPairs(op: string, y: readonly number[], o: readonly number[]): void {
  if (y.length !== o.length) fail(op, `Y has ${y.length} values but O has ${o.length}`);
  if (y.length === 0) fail(op, 'needs at least one image');
}

/**
 * Average Drop % (Chattopadhay et al., "Grad-CAM++: Generalized Gradient-based Visual Explanations
 * for Deep Convolutional Networks", WACV 2018, eq. 21):
 *   Average Drop % = (100/N) Σ_n max(0, Y_n − O_n) / Y_n,
 * Y_n the model's probability of the explained class on image n, O_n on the explanation image
 * E_n = map_n ⊙ image_n. Lower is better: the highlighted region alone keeps the confidence.
 */
export function averageDrop(y: readonly number[], o: readonly number[]): number {
  checkPairs('averageDrop', y, o);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += dropPercent(y[i]!, o[i]!);
  return s / y.length;
}

/**
 * Increase in Confidence % (Grad-CAM++ paper, eq. 22): (100/N) Σ_n 1[Y_n < O_n], the share of
 * images whose explanation image alone is classified more confidently than the image (strict
 * inequality: equal probabilities are no increase). Higher is better.
 */
export function increaseInConfidence(y: readonly number[], o: readonly number[]): number {
  checkPairs('increaseInConfidence', y, o);
  let s = 0;
  for (let i = 0; i < y.length; i++) if (y[i]! < o[i]!) s++;
  return (100 * s) / y.length;
}

/** Shares (in %) of images where the first method's drop is smaller, the second's is smaller, or they are equal. */
export interface WinResult {
  first: number;
  second: number;
  ties: number;
}

/**
 * Win % (Grad-CAM++ paper, §6.1): the share of images where one method's explanation loses less
 * confidence than the other's, from their per-image drops 100·max(0, Y − O)/Y
 * ({@link ConfidenceResult.drop}). Tie rule: images where the drops are equal — within
 * `tolerance` percentage points (default 0: exactly equal), including both 0, i.e. neither map
 * loses confidence — count for neither method and are reported as `ties`, so
 * first + second + ties = 100. A small tolerance (e.g. 1e-6) makes maps that are equal up to
 * floating-point rounding tie instead of winning at random.
 */
export function winPercent(dropsFirst: readonly number[], dropsSecond: readonly number[], opts: { tolerance?: number } = {}): WinResult {
  checkPairs('winPercent', dropsFirst, dropsSecond);
  const tol = opts.tolerance ?? 0;
  if (!(Number.isFinite(tol) && tol >= 0)) fail('winPercent', `tolerance must be a finite number >= 0, got ${tol}`);
  let a = 0;
  let b = 0;
  for (let i = 0; i < dropsFirst.length; i++) {
    const x = dropsFirst[i]!;
    const y = dropsSecond[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) fail('winPercent', `drop of image ${i} is NaN`);
    if (x < y - tol) a++;
    else if (y < x - tol) b++;
  }
  const n = dropsFirst.length;
  return { first: (100 * a) / n, second: (100 * b) / n, ties: (100 * (n - a - b)) / n };
}

// ---------------------------------------------------------------------------------------------
// Deletion and insertion (RISE)

/** What removed pixels become (deletion) or what the picture starts from (insertion). */
export type BaselineKind = 'zero' | 'mean' | 'blur';

export interface BaselineOptions extends SpaceOptions {
  /**
   * Blur strength in pixels for 'blur' (default max(1, min(H, W)/16)): the image is filtered
   * round(2σ²) times with the binomial kernel [1, 2, 1]/4 along rows and columns (edges
   * replicated), a Gaussian of standard deviation σ up to binomial rounding, computed with exact
   * rational weights only.
   */
  blurSigma?: number;
}

/**
 * The baseline image for deletion/insertion, returned in the model's normalized space [N,C,H,W]:
 * - 'zero': value 0 in the chosen space — black pixels in pixel space (RISE's deletion), the
 *   normalization mean (x = 0) in normalized space;
 * - 'mean': each channel's mean over the image;
 * - 'blur': the image blurred (RISE's insertion start), see {@link BaselineOptions.blurSigma}.
 * 'mean' and 'blur' are the same in both spaces (the normalization is affine per channel).
 */
export function perturbationBaseline(input: Tensor, kind: BaselineKind, opts: BaselineOptions = {}): Tensor {
  const op = 'perturbationBaseline';
  const d = checkInput(op, input);
  const space = checkSpace(op, opts);
  const { mean, std } = affine(op, d.c, opts.normalization);
  if (kind !== 'zero' && kind !== 'mean' && kind !== 'blur') fail(op, `baseline must be 'zero', 'mean' or 'blur', got '${String(kind)}'`);
  const sigma = opts.blurSigma ?? Math.max(1, Math.min(d.h, d.w) / 16);
  if (!(Number.isFinite(sigma) && sigma >= 0)) fail(op, `blurSigma must be a finite number >= 0, got ${sigma}`);
  const passes = Math.round(2 * sigma * sigma);
  const out = allocate(input.dtype, input.size);
  const plane = new Float64Array(d.p);
  const tmp = new Float64Array(d.p);
  for (let i = 0; i < d.n; i++) {
    for (let k = 0; k < d.c; k++) {
      const base = (i * d.c + k) * d.p;
      const m = mean[k]!;
      const s = std[k]!;
      const toSpace = (x: number): number => (space === 'pixel' ? x * s + m : x);
      const toInput = (v: number): number => (space === 'pixel' ? (v - m) / s : v);
      if (kind === 'zero') {
        out.fill(toInput(0), base, base + d.p);
        continue;
      }
      for (let j = 0; j < d.p; j++) plane[j] = toSpace(input.data[base + j]!);
      if (kind === 'mean') {
        let acc = 0;
        for (let j = 0; j < d.p; j++) acc += plane[j]!;
        out.fill(toInput(acc / d.p), base, base + d.p);
        continue;
      }
      for (let r = 0; r < passes; r++) binomialPass(plane, tmp, d.h, d.w);
      for (let j = 0; j < d.p; j++) out[base + j] = toInput(plane[j]!);
    }
  }
  return new Tensor(out, input.shape);
}

/** One [1,2,1]/4 pass along rows then columns, edges replicated; in place on `plane`. */
function binomialPass(plane: Float64Array, tmp: Float64Array, h: number, w: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const l = plane[row + Math.max(0, x - 1)]!;
      const r = plane[row + Math.min(w - 1, x + 1)]!;
      tmp[row + x] = (l + 2 * plane[row + x]! + r) / 4;
    }
  }
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1) * w;
    const down = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) plane[y * w + x] = (tmp[up + x]! + 2 * tmp[y * w + x]! + tmp[down + x]!) / 4;
  }
}

/**
 * Pixel indices (row-major, y·W + x) from the most to the least salient: sorted by decreasing map
 * value, ties broken by increasing index (so a flat map gives scan order).
 */
export function saliencyOrder(map: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(map.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const v = Float64Array.from(map);
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i])) fail('saliencyOrder', `map holds NaN at position ${i}`);
  idx.sort((a, b) => v[b]! - v[a]! || a - b);
  return idx;
}

/** ∫ y dx by the trapezoid rule over consecutive points (x increasing). */
export function trapezoidAuc(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) fail('trapezoidAuc', `x has ${x.length} values but y has ${y.length}`);
  if (x.length < 2) fail('trapezoidAuc', `needs at least 2 points, got ${x.length}`);
  let s = 0;
  for (let i = 1; i < x.length; i++) {
    const dx = x[i]! - x[i - 1]!;
    if (!(dx >= 0)) fail('trapezoidAuc', `x must be non-decreasing, got x[${i - 1}] = ${x[i - 1]}, x[${i}] = ${x[i]}`);
    s += (dx * (y[i]! + y[i - 1]!)) / 2;
  }
  return s;
}

export interface CurveOptions extends BaselineOptions, ForwardOptions {
  /** Number of steps S (default 16): step k perturbs the round(k·P/S) most salient of the P pixels, k = 0..S. */
  steps?: number;
  /**
   * Baseline of both curves, or one per curve. Default `{ deletion: 'zero', insertion: 'blur' }`,
   * RISE's choice (removed pixels become black; insertion starts from a blurred image).
   */
  baseline?: BaselineKind | { deletion: BaselineKind; insertion: BaselineKind };
  /** Which curves to compute (default both). */
  curves?: 'both' | 'deletion' | 'insertion';
  /**
   * Known endpoint probabilities, to skip their forward passes (e.g. shared by several maps of
   * the same images): on the unperturbed images, and on the deletion and insertion baselines.
   */
  endpoints?: { clean?: readonly number[]; deletionBaseline?: readonly number[]; insertionBaseline?: readonly number[] };
}

export interface CurveResult {
  /** Fraction of pixels perturbed at each step, k·(P/S)/P rounded to whole pixels: S + 1 values from 0 to 1. */
  fractions: number[];
  /** Per image, the probability of its class after each deletion step (empty when not computed). */
  deletion: number[][];
  /** Per image, the probability after each insertion step (empty when not computed). */
  insertion: number[][];
  /** Per image, the trapezoid area under the deletion curve over the fractions (lower is better). */
  deletionAuc: number[];
  /** Per image, the area under the insertion curve (higher is better). */
  insertionAuc: number[];
}

/** Pixels perturbed after each step k = 0..S of a deletion/insertion curve: n_k = round(k·P/S). */
export function curveCounts(steps: number, pixels: number): number[] {
  return Array.from({ length: steps + 1 }, (_, k) => Math.round((k * pixels) / steps));
}

/** The x axis of a deletion/insertion curve: the fractions n_k/P of perturbed pixels. */
export function curveFractions(steps: number, pixels: number): number[] {
  return curveCounts(steps, pixels).map((c) => c / pixels);
}

/**
 * Deletion and insertion curves (Petsiuk, Das, Saenko, "RISE: Randomized Input Sampling for
 * Explanation of Black-box Models", BMVC 2018). Pixels are ordered by saliency
 * ({@link saliencyOrder}: decreasing map value, ties by index). Deletion: starting from the image,
 * step k replaces the first n_k = round(k·P/S) pixels (every channel) by the baseline; insertion:
 * starting from the baseline, step k restores them from the image. After each step the softmax
 * probability of the explained class is recorded; the AUC is the trapezoid rule over the
 * fraction n_k/P ∈ [0, 1]. A faithful map makes the deletion curve fall fast (low AUC) and the
 * insertion curve rise fast (high AUC). Perturbations happen in pixel space by default
 * ({@link SpaceOptions}); all perturbed images are batched into forward passes of `batchSize`
 * images (no graph, eval mode). Cost: 2(S − 1) forward images per image and curve pair, plus
 * the endpoints not given in `endpoints`.
 */
export function deletionInsertion(model: Module, input: Tensor, maps: Tensor, classes: readonly number[], opts: CurveOptions = {}): CurveResult {
  const op = 'deletionInsertion';
  const d = checkInput(op, input);
  checkMaps(op, maps, d);
  checkClasses(op, classes, d.n);
  const steps = opts.steps ?? 16;
  if (!Number.isInteger(steps) || steps < 1 || steps > d.p) fail(op, `steps must be an integer in [1, ${d.p}] (the pixel count), got ${steps}`);
  const which = opts.curves ?? 'both';
  if (which !== 'both' && which !== 'deletion' && which !== 'insertion') fail(op, `curves must be 'both', 'deletion' or 'insertion', got '${String(which)}'`);
  const b = opts.baseline ?? { deletion: 'zero', insertion: 'blur' };
  const kinds = typeof b === 'string' ? { deletion: b, insertion: b } : b;
  const doDel = which !== 'insertion';
  const doIns = which !== 'deletion';
  const ends = opts.endpoints ?? {};
  for (const [name, v] of Object.entries(ends)) {
    if (v !== undefined && (v as readonly number[]).length !== d.n) fail(op, `endpoints.${name} has ${(v as readonly number[]).length} values for ${d.n} images`);
  }
  const counts = curveCounts(steps, d.p);
  const fractions = curveFractions(steps, d.p);
  const baseOpts: BaselineOptions = {};
  if (opts.space !== undefined) baseOpts.space = opts.space;
  if (opts.normalization !== undefined) baseOpts.normalization = opts.normalization;
  if (opts.blurSigma !== undefined) baseOpts.blurSigma = opts.blurSigma;
  const delBase = doDel ? perturbationBaseline(input, kinds.deletion, baseOpts) : null;
  const insBase = doIns ? (doDel && kinds.insertion === kinds.deletion ? delBase : perturbationBaseline(input, kinds.insertion, baseOpts)) : null;

  // Slots: per image, deletion steps 0..S then insertion steps 0..S.
  const stride = 2 * (steps + 1);
  const out = new Float64Array(d.n * stride).fill(NaN);
  const batcher = new ProbabilityBatcher(op, model, d, input.dtype, checkBatch(op, opts), out);
  const per = d.c * d.p;
  const cur = allocate(input.dtype, per);
  for (let i = 0; i < d.n; i++) {
    const cls = classes[i]!;
    const x = input.data.subarray(i * per, (i + 1) * per);
    const order = saliencyOrder(maps.data.subarray(i * d.p, (i + 1) * d.p));
    const run = (start: Tensor['data'], fill: Tensor['data'], slot0: number, first: number | undefined, last: number | undefined): void => {
      if (first !== undefined) out[slot0] = first;
      if (last !== undefined) out[slot0 + steps] = last;
      cur.set(start);
      for (let k = 0; k <= steps; k++) {
        if (k > 0) {
          for (let j = counts[k - 1]!; j < counts[k]!; j++) {
            const pix = order[j]!;
            for (let ch = 0; ch < d.c; ch++) cur[ch * d.p + pix] = fill[ch * d.p + pix]!;
          }
        }
        if ((k === 0 && first !== undefined) || (k === steps && last !== undefined)) continue;
        batcher.next().set(cur);
        batcher.push(cls, slot0 + k);
      }
    };
    if (delBase !== null) {
      const base = delBase.data.subarray(i * per, (i + 1) * per);
      run(x, base, i * stride, ends.clean?.[i], ends.deletionBaseline?.[i]);
    }
    if (insBase !== null) {
      const base = insBase.data.subarray(i * per, (i + 1) * per);
      run(base, x, i * stride + steps + 1, ends.insertionBaseline?.[i], ends.clean?.[i]);
    }
  }
  batcher.flush();
  const deletion: number[][] = [];
  const insertion: number[][] = [];
  for (let i = 0; i < d.n; i++) {
    if (doDel) deletion.push(Array.from(out.subarray(i * stride, i * stride + steps + 1)));
    if (doIns) insertion.push(Array.from(out.subarray(i * stride + steps + 1, (i + 1) * stride)));
  }
  return {
    fractions,
    deletion,
    insertion,
    deletionAuc: deletion.map((c) => trapezoidAuc(fractions, c)),
    insertionAuc: insertion.map((c) => trapezoidAuc(fractions, c)),
  };
}

// ---------------------------------------------------------------------------------------------
// Localization with ground-truth masks

function checkMaskList(op: string, masks: readonly ArrayLike<number>[], n: number, p: number, what = 'mask'): void {
  if (masks.length !== n) fail(op, `${masks.length} ${what}s given for ${n} maps`);
  masks.forEach((m, i) => {
    if (m.length !== p) fail(op, `${what} ${i} has ${m.length} values, the maps have ${p} pixels`);
  });
}

function checkNonNegative(op: string, maps: Tensor): void {
  const p = maps.shape[1]! * maps.shape[2]!;
  for (let i = 0; i < maps.size; i++) {
    if (maps.data[i]! < 0) fail(op, `map of image ${Math.floor(i / p)} has the negative value ${maps.data[i]} at position ${i % p}; expects non-negative maps (ReLU'd, normalized)`);
  }
}

/**
 * Energy inside the mask (the "energy-based pointing game" of Score-CAM, Wang et al., CVPR-W
 * 2020): Σ_{mask} map / Σ map per image, the share of the map's mass on the object (masks: any
 * non-zero value is inside). An all-zero map has no mass and scores 0 (not NaN). A uniform map
 * scores the mask's area fraction. Maps must be non-negative.
 */
export function energyInMask(maps: Tensor, masks: readonly ArrayLike<number>[]): number[] {
  const op = 'energyInMask';
  const { n, h, w } = checkMaps(op, maps);
  const p = h * w;
  checkMaskList(op, masks, n, p);
  checkNonNegative(op, maps);
  return masks.map((mask, i) => {
    let inside = 0;
    let total = 0;
    for (let j = 0; j < p; j++) {
      const v = maps.data[i * p + j]!;
      total += v;
      if (mask[j] !== 0) inside += v;
    }
    return total > 0 ? inside / total : 0;
  });
}

/**
 * Pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016),
 * without tolerance: a hit when the map's maximum lies in the mask. Ties: when several pixels
 * share the maximum value, it is a hit only if ALL of them lie in the mask (an ambiguous peak
 * that touches the background does not score). A flat map (max = min, e.g. all zero) has no
 * peak and is never a hit.
 */
export function pointingGame(maps: Tensor, masks: readonly ArrayLike<number>[]): boolean[] {
  const op = 'pointingGame';
  const { n, h, w } = checkMaps(op, maps);
  const p = h * w;
  checkMaskList(op, masks, n, p);
  return masks.map((mask, i) => {
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = 0; j < p; j++) {
      const v = maps.data[i * p + j]!;
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    if (!(hi > lo)) return false;
    for (let j = 0; j < p; j++) if (maps.data[i * p + j] === hi && mask[j] === 0) return false;
    return true;
  });
}

/** One image's instance coverage. */
export interface CoverageResult {
  /** Number of object instances. */
  instances: number;
  /** Per instance, the largest map value inside its mask. */
  peaks: number[];
  /** Per threshold t (in the order given), how many instances have a peak ≥ t. */
  covered: number[];
}

/**
 * Instance coverage (camlab's multi-instance measure, after the Grad-CAM++ paper's claim that it
 * localizes multiple occurrences of a class, §1 and Fig. 1): an instance counts as covered at
 * threshold t when its mask holds a map value ≥ t (maps normalized to [0,1]). Reported per image
 * for every threshold; pool `covered / instances` over images for the share of instances. With
 * an all-zero map no instance is covered (for t > 0).
 */
export function instanceCoverage(maps: Tensor, instances: ReadonlyArray<readonly ArrayLike<number>[]>, thresholds: readonly number[] = [0.25, 0.5, 0.75]): CoverageResult[] {
  const op = 'instanceCoverage';
  const { n, h, w } = checkMaps(op, maps);
  const p = h * w;
  if (instances.length !== n) fail(op, `${instances.length} instance lists given for ${n} maps`);
  thresholds.forEach((t) => {
    if (!Number.isFinite(t)) fail(op, `thresholds must be finite, got ${t}`);
  });
  return instances.map((list, i) => {
    checkMaskList(op, list, list.length, p, `instance mask of image ${i}, number`);
    const peaks = list.map((mask, k) => {
      let peak = -Infinity;
      for (let j = 0; j < p; j++) if (mask[j] !== 0 && maps.data[i * p + j]! > peak) peak = maps.data[i * p + j]!;
      if (peak === -Infinity) fail(op, `instance ${k} of image ${i} has an empty mask`);
      return peak;
    });
    return { instances: list.length, peaks, covered: thresholds.map((t) => peaks.filter((v) => v >= t).length) };
  });
}

// ---------------------------------------------------------------------------------------------
// Sharpness and noise

/**
 * Total variation of each map: the mean absolute difference between horizontal and vertical
 * neighbours, (Σ_{y,x} |m[y,x+1] − m[y,x]| + Σ_{y,x} |m[y+1,x] − m[y,x]|) / (H(W−1) + (H−1)W).
 * On maps normalized to [0,1] it is in [0,1]; lower means smoother. A 1x1 map scores 0.
 */
export function totalVariation(maps: Tensor): number[] {
  const { n, h, w } = checkMaps('totalVariation', maps);
  const pairs = h * (w - 1) + (h - 1) * w;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * h * w;
    let s = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = maps.data[o + y * w + x]!;
        if (x + 1 < w) s += Math.abs(maps.data[o + y * w + x + 1]! - v);
        if (y + 1 < h) s += Math.abs(maps.data[o + (y + 1) * w + x]! - v);
      }
    }
    out.push(pairs > 0 ? s / pairs : 0);
  }
  return out;
}

/**
 * Pearson correlation Σ(a − ā)(b − b̄) / sqrt(Σ(a − ā)² Σ(b − b̄)²). Defined without NaN for
 * constant inputs: 1 when a and b are identical (e.g. two all-zero maps), otherwise 0 when either
 * has zero variance.
 */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) fail('pearsonCorrelation', `a has ${a.length} values but b has ${b.length}`);
  if (a.length === 0) fail('pearsonCorrelation', 'needs at least one value');
  let ma = 0;
  let mb = 0;
  let same = true;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
    if (a[i] !== b[i]) same = false;
  }
  if (same) return 1;
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (!(saa > 0 && sbb > 0)) return 0;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}


/**
 * A seed for item `index` of a run seeded with `seed` (both safe integers, index ≥ 0), mixed
 * through MurmurHash3's finalizer, so per-image noise does not depend on which other images are
 * processed in the same batch.
 */
export function mixSeed(seed: number, index: number): number {
  if (!Number.isSafeInteger(seed)) fail('mixSeed', `seed must be a safe integer, got ${seed}`);
  if (!Number.isSafeInteger(index) || index < 0) fail('mixSeed', `index must be a non-negative safe integer, got ${index}`);
  let h = fmix32((seed >>> 0) ^ 0x6a09e667);
  h = fmix32((h ^ (Math.floor(seed / 4294967296) | 0)) >>> 0);
  h = fmix32((h + Math.imul(index >>> 0, 0x9e3779b9)) >>> 0);
  h = fmix32((h ^ Math.floor(index / 4294967296)) >>> 0);
  return h;
}

export interface StabilityOptions extends SpaceOptions {
  /** Standard deviation σ of the Gaussian input noise, in pixel units of [0,1] pixels (default 0.05); in normalized space, in input units. */
  noise?: number;
  /** Seed (default 0). Image n's two noises come from `new Rng(mixSeed(seed, indices[n]))`. */
  seed?: number;
  /** Global index of each image (default 0..N−1), so chunked runs draw the same noise as one big run. */
  indices?: readonly number[];
}

/**
 * Two independently noised copies of every image: x + σε₁ and x + σε₂ with ε ~ N(0, 1) per pixel
 * and channel. In pixel space the noise is added to p = x·std + mean (so x changes by σε/std);
 * no clipping. Returned in the model's normalized space, [N,C,H,W] each.
 */
export function noisyPair(input: Tensor, opts: StabilityOptions = {}): [Tensor, Tensor] {
  const op = 'noisyPair';
  const d = checkInput(op, input);
  const space = checkSpace(op, opts);
  const { std } = affine(op, d.c, opts.normalization);
  const sigma = opts.noise ?? 0.05;
  if (!(Number.isFinite(sigma) && sigma >= 0)) fail(op, `noise must be a finite number >= 0, got ${sigma}`);
  const seed = opts.seed ?? 0;
  const indices = opts.indices ?? Array.from({ length: d.n }, (_, i) => i);
  if (indices.length !== d.n) fail(op, `${indices.length} indices given for ${d.n} images`);
  const a = allocate(input.dtype, input.size);
  const b = allocate(input.dtype, input.size);
  const per = d.c * d.p;
  for (let i = 0; i < d.n; i++) {
    const rng = new Rng(mixSeed(seed, indices[i]!));
    for (const dst of [a, b]) {
      for (let k = 0; k < d.c; k++) {
        const scale = space === 'pixel' ? sigma / std[k]! : sigma;
        const base = i * per + k * d.p;
        for (let j = 0; j < d.p; j++) dst[base + j] = input.data[base + j]! + scale * rng.normal();
      }
    }
  }
  return [new Tensor(a, input.shape), new Tensor(b, input.shape)];
}

/**
 * Stability of an explanation under small input noise: per image, the Pearson correlation
 * ({@link pearsonCorrelation}) between the maps explaining two independently noised copies of the
 * image ({@link noisyPair}). `explainMaps` maps a batch [N,C,H,W] to maps [N,H,W] and is called
 * twice (first copies, then second copies); it should explain the same class as for the clean
 * image (so the noise cannot switch the class) with the method's own settings (and seeds) fixed.
 * 1 = the map does not move; values near 0 = the map is dominated by the noise.
 */
export function noiseStability(explainMaps: (noisy: Tensor) => Tensor, input: Tensor, opts: StabilityOptions = {}): number[] {
  const op = 'noiseStability';
  const d = checkInput(op, input);
  const [x1, x2] = noisyPair(input, opts);
  const m1 = explainMaps(x1);
  const m2 = explainMaps(x2);
  for (const m of [m1, m2]) checkMaps(op, m, d);
  return Array.from({ length: d.n }, (_, i) => pearsonCorrelation(m1.data.subarray(i * d.p, (i + 1) * d.p), m2.data.subarray(i * d.p, (i + 1) * d.p)));
}
