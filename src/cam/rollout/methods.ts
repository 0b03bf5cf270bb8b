/**
 * The rollout explanations of a transformer: model and images in, a CamResult-shaped map out.
 * Each is one of the matrices of ./rollout.ts applied to what ./capture.ts and ./terms.ts capture.
 */
import type { Module } from '../../nn/module.js';
import { squareGrid } from '../../nn/tokens.js';
import { VisionTransformer } from '../../nn/vit.js';
import { add, div } from '../../tensor/elementwise.js';
import { fail, shapeStr } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../tensor/unary.js';
import { scoresOf, type ExactOptions } from '../gradients.js';
import { checkNoise, noisyCopy, type NoiseOptions } from '../noise.js';
import { postprocess } from '../postprocess.js';
import type { CamResult, TraceOption } from '../result.js';
import { targetsFor, type ResolvedTarget, type Target } from '../target.js';
import { attentionLayers, captureAttention } from './capture.js';
import { gradCamPlusPlusRolloutMatrix, gradientRolloutMatrix, rolloutMap, rolloutMatrix, type Rollout, type RolloutOptions } from './rollout.js';
import { attentionTerms, type AttentionTermsOptions, type RolloutPruning } from './terms.js';

/** Every per-block term of a rollout (present with `trace: true`); lists are in block order, each [N, H, S, S] or [N, S, S]. */
export interface RolloutTrace {
  /** A_l [N, H, S, S] of the clean input. */
  attentions: Tensor[];
  /** The matrices multiplied in: Ã_l (attention rollout) or Ā_l (gradient-weighted rollouts), [N, S, S]. */
  blocks: Tensor[];
  d1?: Tensor[];
  d2?: Tensor[];
  d3?: Tensor[];
  alpha?: Tensor[];
  /** How the terms were obtained. */
  derivatives: string;
}

/** The `layer` of a rollout's result: it reads the attention of every block (named in `layers`), not one layer. */
export const ROLLOUT_LAYER = 'attention';

/**
 * A CamResult whose map is a rollout's class-token row: `map` = ReLU(R[cls, patches]) on the patch
 * grid [N, h, w]; `layer` is {@link ROLLOUT_LAYER}.
 */
export interface RolloutResult extends CamResult {
  /** R [N, S, S]. */
  rollout: Tensor;
  /** The attention taps used, in block order. */
  layers: string[];
  rolloutTrace?: RolloutTrace;
}

/** Whether a method's result is a rollout's (it carries the rollout matrix and the attention layers used). */
export function isRolloutResult(r: object): r is RolloutResult {
  return 'rollout' in r && 'layers' in r;
}

export interface RolloutMethodOptions extends TraceOption {
  /** The class explained (gradient-weighted rollouts) or reported (attention rollout); default 'predicted'. */
  target?: Target | readonly Target[];
  /** Patch grid [h, w] (default: the VisionTransformer's, else the square root of the patch-token count). */
  grid?: readonly [number, number];
}

/** ReLU(R[cls, patches]) on the grid, upsampled and normalized, with the scores of the explained classes. */
function finishRollout(method: string, model: Module, input: Tensor, r: Rollout, output: Tensor, targets: readonly ResolvedTarget[], opts: RolloutMethodOptions, trace: RolloutTrace): RolloutResult {
  const s = r.rollout.shape[1]!;
  const grid = opts.grid ?? (model instanceof VisionTransformer ? model.patchGrid : squareGrid(method, s - 1));
  const map = relu(rolloutMap(r.rollout, grid));
  const { maps, flat } = postprocess(map, [input.shape[2]!, input.shape[3]!], `${method} map`);
  const { scores, probabilities } = scoresOf(output, targets);
  const layers = attentionLayers(model);
  const result: RolloutResult = {
    method, layer: ROLLOUT_LAYER, layers, classes: targets.map((t) => t.classIndex), scores, probabilities,
    map, upsampled: maps, weights: null, flat, rollout: r.rollout,
  };
  if (opts.trace) result.rolloutTrace = trace;
  return result;
}

function checkInput(method: string, input: Tensor): void {
  if (input.ndim !== 4) fail(method, `input must be a batch of images [N,C,H,W], got ${shapeStr(input.shape)}`);
}

/**
 * Attention rollout (Abnar & Zuidema 2020): R = Ã_L ⋯ Ã_1, Ã_l = rownorm(fuse_h A_l + I), map =
 * R[cls, patches]. Class-agnostic: the target only names the class reported.
 */
export function attentionRollout(model: Module, input: Tensor, opts: RolloutMethodOptions & RolloutOptions = {}): RolloutResult {
  checkInput('attention rollout', input);
  const { attentions, output } = captureAttention(model, input);
  const r = rolloutMatrix(attentions, opts);
  return finishRollout('attention rollout', model, input, r, output, targetsFor(opts.target, output), opts, { attentions, blocks: r.blocks, derivatives: 'none' });
}

/**
 * Attention rollout averaged over noisy inputs (SmoothGrad, Smilkov et al. 2017): R̄ = (1/n) Σ_m R(x_m),
 * x_m = x + N(0, σ²); the map is R̄[cls, patches]. The trace's blocks are the mean Ã_l.
 */
export function smoothAttentionRollout(model: Module, input: Tensor, opts: RolloutMethodOptions & RolloutOptions & NoiseOptions = {}): RolloutResult {
  checkInput('smooth attention rollout', input);
  const { samples, noise, rng, scale } = checkNoise('smooth attention rollout', opts);
  const clean = captureAttention(model, input);
  let sum: Rollout | null = null;
  for (let m = 0; m < samples; m++) {
    const r = rolloutMatrix(captureAttention(model, noisyCopy(input, noise, scale, rng)).attentions, opts);
    sum = sum === null ? r : { rollout: add(sum.rollout, r.rollout), blocks: sum.blocks.map((b, l) => add(b, r.blocks[l]!)) };
  }
  const mean: Rollout = { rollout: div(sum!.rollout, samples), blocks: sum!.blocks.map((b) => div(b, samples)) };
  const trace = { attentions: clean.attentions, blocks: mean.blocks, derivatives: `none; means over ${samples} noisy samples` };
  return finishRollout('smooth attention rollout', model, input, mean, clean.output, targetsFor(opts.target, clean.output), opts, trace);
}

/**
 * Gradient-weighted rollout (Chefer, Gur & Wolf, ICCV 2021): R = I, R ← R + mean_h (∇A_l ⊙ A_l)⁺ R
 * over the blocks, ∇A_l = ∂S/∂A_l; map = R[cls, patches].
 */
export function gradientRollout(model: Module, input: Tensor, opts: RolloutMethodOptions = {}): RolloutResult {
  return gradientWeighted('gradient rollout', model, input, opts, undefined);
}

/** Gradient-weighted rollout with ∇A_l replaced by D1, its mean over noisy inputs (A_l stays the clean attention). */
export function smoothGradientRollout(model: Module, input: Tensor, opts: RolloutMethodOptions & NoiseOptions = {}): RolloutResult {
  return gradientWeighted('smooth gradient rollout', model, input, opts, opts);
}

function gradientWeighted(method: string, model: Module, input: Tensor, opts: RolloutMethodOptions, smooth: NoiseOptions | undefined): RolloutResult {
  checkInput(method, input);
  const t = attentionTerms(model, input, termsOptions(opts, smooth, undefined));
  const d1 = t.terms.map((x) => x.d1);
  const r = gradientRolloutMatrix(t.attentions, d1);
  return finishRollout(method, model, input, r, t.output, t.targets, opts, { attentions: t.attentions, blocks: r.blocks, d1, derivatives: t.derivatives });
}

export interface GradCamPlusPlusRolloutOptions extends RolloutMethodOptions {
  /** Exact diagonals ∂²Y/∂A², ∂³Y/∂A³ (true, or options choosing Y and the batch size) instead of g², g³. */
  exact?: boolean | ExactOptions;
  /** Exact mode: the diagonals skipped because they cannot change the map (default 'map'; see AttentionTermsOptions.prune). */
  prune?: RolloutPruning;
}

/**
 * Grad-CAM++-weighted rollout (DESIGN.md §7): R = I, R ← R + mean_h (α_l ⊙ ReLU(d1_l) ⊙ A_l) R,
 * α = d2 / (2·d2 + ΣA·d3); closed form d1, d2, d3 = g, g², g³, or exact (`exact`).
 */
export function gradCamPlusPlusRollout(model: Module, input: Tensor, opts: GradCamPlusPlusRolloutOptions = {}): RolloutResult {
  return gradCamPlusPlusWeighted(opts.exact ? 'gradcam++ rollout (exact)' : 'gradcam++ rollout', model, input, opts, undefined);
}

/** Grad-CAM++-weighted rollout with D1, D2, D3 the means over noisy inputs (closed form or exact) and A_l the clean attention. */
export function smoothGradCamPlusPlusRollout(model: Module, input: Tensor, opts: GradCamPlusPlusRolloutOptions & NoiseOptions = {}): RolloutResult {
  return gradCamPlusPlusWeighted(opts.exact ? 'smooth gradcam++ rollout (exact)' : 'smooth gradcam++ rollout', model, input, opts, opts);
}

function gradCamPlusPlusWeighted(method: string, model: Module, input: Tensor, opts: GradCamPlusPlusRolloutOptions, smooth: NoiseOptions | undefined): RolloutResult {
  checkInput(method, input);
  const t = attentionTerms(model, input, { ...termsOptions(opts, smooth, opts.exact), ...(opts.prune === undefined ? {} : { prune: opts.prune }) });
  const r = gradCamPlusPlusRolloutMatrix(t.attentions, t.terms);
  const trace = { attentions: t.attentions, blocks: r.blocks, d1: t.terms.map((x) => x.d1), d2: t.terms.map((x) => x.d2), d3: t.terms.map((x) => x.d3), alpha: r.alpha, derivatives: t.derivatives };
  return finishRollout(method, model, input, r, t.output, t.targets, opts, trace);
}

function termsOptions(opts: RolloutMethodOptions, smooth: NoiseOptions | undefined, exact: boolean | ExactOptions | undefined): AttentionTermsOptions {
  const o: AttentionTermsOptions = {};
  if (opts.target !== undefined) o.target = opts.target;
  if (smooth !== undefined) o.smooth = smooth;
  if (exact !== undefined) o.exact = exact;
  return o;
}
