import { grad } from '../autodiff/grad.js';
import { noGrad } from '../autodiff/mode.js';
import { sub } from '../autodiff/ops/elementwise.js';
import { gather } from '../autodiff/ops/indexing.js';
import { slice } from '../autodiff/ops/movement.js';
import { softmax, sum } from '../autodiff/ops/reduce.js';
import { exp } from '../autodiff/ops/unary.js';
import { expand } from '../autodiff/ops/reduce.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import type { FloatArray } from '../tensor/dtype.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { IndexTensor, type Tensor } from '../tensor/tensor.js';
import { linearHeadDiagonals } from './linear-head.js';
import { activationLeaf, splitAt, type Split } from './split.js';
import { resolveTarget, targetOutputs, targetsFor, totalScore, type ResolvedTarget, type Target } from './target.js';
import { progressLoop } from './progress.js';

export interface CamTargetOptions {
  /** Target layer by state-dict name (default: the last layer with a 4-D output). */
  layer?: string;
  /** What to explain: one target for every image, or one per image (default 'predicted'). */
  target?: Target | readonly Target[];
}

/** A model cut at its target layer for a batch of images, with one resolved target per image. */
export interface CamContext {
  model: Module;
  input: Tensor;
  layer: string;
  split: Split;
  targets: ResolvedTarget[];
}

/**
 * Cuts the model at the target layer ({@link splitAt}: one forward pass) and resolves one target
 * per image against that pass's output ({@link targetsFor}).
 */
export function prepare(model: Module, input: Tensor, opts: CamTargetOptions = {}): CamContext {
  if (input.ndim !== 4) fail('cam', `input must be a batch of images [N,C,H,W], got ${shapeStr(input.shape)}`);
  const split = splitAt(model, input, opts.layer);
  if (!model.get(split.layer).featureMap) {
    fail('cam', `layer '${split.layer}' outputs ${shapeStr(split.activation.shape)}, not a feature map (${model.get(split.layer).kind}); choose a feature map or token grid layer (camlab info lists them), or a rollout method for attention`);
  }
  const targets = targetsFor(opts.target, split.output);
  return { model, input, layer: split.layer, split, targets };
}

/** A = the layer's activation [N,K,h,w] and g = ∂S/∂A, S = Σ_n target_n (one backward pass). */
export function layerGradients(ctx: CamContext): { a: Tensor; g: Tensor } {
  const a = ctx.split.activation;
  const leaf = activationLeaf(a);
  const s = totalScore(ctx.split.head(leaf), ctx.targets);
  if (!s.requiresGrad) return { a, g: zeros(a.shape, { dtype: a.dtype }) };
  const [g] = grad(s, leaf, { onUnused: 'zeros' });
  return { a, g: g! };
}

/** Which output the exact Grad-CAM++ derivatives are taken of. */
export type ExactOutput = 'exp' | 'softmax' | 'raw';

/** Diagonal entries extracted per batched pass of the exact derivatives when `batchSize` is not given. */
export const DEFAULT_EXACT_BATCH = 256;

export interface ExactOptions {
  /** Y: exp(S − S₀) (default, the paper's choice with S₀ the clean score), the softmax probability, or S itself. */
  output?: ExactOutput;
  /** Diagonal entries extracted per batched pass (default {@link DEFAULT_EXACT_BATCH}). The result does not depend on it. */
  batchSize?: number;
  /**
   * 'auto' (default): when autodiff certifies the head linear around A (∂S/∂A does not reach A:
   * ReLU, max-pool, conv, linear, batch norm in eval), the diagonals by the chain rule from g
   * ({@link linearHeadDiagonals}); otherwise, and always with 'passes', extracted by batched
   * higher-order passes. The two agree to rounding (1e-12), except for Y = softmax where p_c ≈ 1:
   * there the passes' p·(1 − p) factors cancel and only the chain rule keeps the digits.
   */
  diagonals?: 'auto' | 'passes';
}

/**
 * True derivatives of Y with respect to the activation, by the engine's higher-order autodiff:
 * d1 = ∂Y/∂A, and the diagonals d2_e = ∂²Y/∂A_e², d3_e = ∂³Y/∂A_e³ for every element e.
 * Diagonals come out B at a time: A is copied into B independent leaves, Σ_b Y(A_b) is
 * differentiated, and element e_b is read from copy b (the copies do not interact, so
 * ∂/∂A_b of Σ_b' Y(A_b') is ∂Y(A_b)/∂A_b). Three backward passes per batch. An image whose head
 * autodiff certifies linear around A takes the chain rule instead (opts.diagonals, `linearHead`
 * says whether every image did).
 * `entries` limits the diagonals to some elements of each image's activation (flat indices,
 * ascending), given that image's d1: for callers that know the others are not needed (0 because
 * they cannot reach Y, or multiplied by 0 later); they are left 0. d1 is always complete.
 */
export function exactDerivatives(ctx: CamContext, opts: ExactOptions = {}, entries?: (d1: Float64Array | Float32Array) => readonly number[]): { d1: Tensor; d2: Tensor; d3: Tensor; linearHead: boolean } {
  const output = opts.output ?? 'exp';
  if (!['exp', 'softmax', 'raw'].includes(output)) fail('exact Grad-CAM++', `output must be 'exp', 'softmax' or 'raw', got '${output}'`);
  const batch = opts.batchSize ?? DEFAULT_EXACT_BATCH;
  if (!Number.isInteger(batch) || batch < 1) fail('exact Grad-CAM++', `batchSize must be a positive integer, got ${batch}`);
  const route = opts.diagonals ?? 'auto';
  if (route !== 'auto' && route !== 'passes') fail('exact Grad-CAM++', `diagonals must be 'auto' or 'passes', got ${JSON.stringify(route)}`);
  if (output === 'softmax' && ctx.targets.some((t) => t.classIndex < 0)) fail('exact Grad-CAM++', "output 'softmax' needs a class target, not a custom function");
  const [n, k, h, w] = ctx.split.activation.shape as [number, number, number, number];
  const d1 = zeros([n, k, h, w], { dtype: ctx.split.activation.dtype });
  const d2 = zeros([n, k, h, w], { dtype: ctx.split.activation.dtype });
  const d3 = zeros([n, k, h, w], { dtype: ctx.split.activation.dtype });
  const per = k * h * w;
  const loop = progressLoop('exact diagonals', n);
  let linear = 0;
  for (let img = 0; img < n; img++) {
    const split = n === 1 ? ctx.split : splitAt(ctx.model, sliceImage(ctx.input, img), ctx.layer);
    const a = split.activation;
    const y = outputFunction(split, ctx.targets[img]!, output);
    // d1 from one plain backward pass (its graph kept for the chain rule's check, which reuses the head's output).
    const leaf = activationLeaf(a);
    const out = split.head(leaf);
    const y0 = y(out);
    if (y0.requiresGrad) d1.data.set(grad(y0, leaf, { onUnused: 'zeros', retainGraph: route === 'auto' })[0]!.data, img * per);
    const chosen = entries?.(d1.data.subarray(img * per, (img + 1) * per));
    if (chosen !== undefined && chosen.some((e, i) => !Number.isInteger(e) || e < 0 || e >= per || (i > 0 && e <= chosen[i - 1]!))) {
      fail('exact Grad-CAM++', `entries must be ascending element indices in [0, ${per}) of the activation ${shapeStr(ctx.split.activation.shape)}`);
    }
    const rows2 = d2.data.subarray(img * per, (img + 1) * per);
    const rows3 = d3.data.subarray(img * per, (img + 1) * per);
    if (route === 'auto' && linearHeadDiagonals(split, leaf, out, ctx.targets[img]!, output, batch, chosen, rows2, rows3)) {
      linear++;
      loop.step();
      continue;
    }
    const count = chosen?.length ?? per;
    const inner = progressLoop('exact diagonals', Math.ceil(count / batch));
    for (let start = 0; start < count; start += batch) {
      const b = Math.min(batch, count - start);
      const at = chosen === undefined ? Array.from({ length: b }, (_, j) => start + j) : chosen.slice(start, start + b);
      diagonalBatch(split, y, at, rows2, rows3);
      inner.step();
    }
    inner.end();
    loop.step();
  }
  loop.end();
  return { d1, d2, d3, linearHead: linear === n };
}

/**
 * Diagonal entries `at` (flat indices) of ∂²Y/∂A² and ∂³Y/∂A³ for one image, written into d2 and
 * d3 (that image's rows): one copy of A per entry, entry at[j] read from copy j.
 */
function diagonalBatch(split: Split, y: (out: Tensor) => Tensor, at: readonly number[], d2: FloatArray, d3: FloatArray): void {
  const a = split.activation;
  const [, k, h, w] = a.shape as [number, number, number, number];
  const per = k * h * w;
  const b = at.length;
  const copies = activationLeaf(noGrad(() => expand(a, [b, k, h, w])));
  const picks = new IndexTensor(Int32Array.from(at, (e, j) => j * per + e), [b]);
  const put = (into: FloatArray, values: Tensor): void => at.forEach((e, j) => void (into[e] = values.data[j]!));
  const total = y(split.head(copies));
  if (!total.requiresGrad) return;
  const [g] = grad(total, copies, { createGraph: true, onUnused: 'zeros' });
  const s2 = sum(gather(g!, picks));
  if (!s2.requiresGrad) return; // ∂Y/∂A does not depend on A: every higher derivative is 0
  const [hess] = grad(s2, copies, { createGraph: true, onUnused: 'zeros' });
  const diag2 = gather(hess!, picks);
  put(d2, diag2);
  const s3 = sum(diag2);
  if (!s3.requiresGrad) return;
  const [third] = grad(s3, copies, { onUnused: 'zeros' });
  put(d3, gather(third!, picks));
}

function sliceImage(x: Tensor, i: number): Tensor {
  return slice(x, [[i, i + 1], null, null, null]);
}

/**
 * Y summed over a batch of rows, Σ_b Y(out_b), for one image's target: S itself ('raw'), the
 * softmax probability of the target's class ('softmax'), or exp(S − S₀) with S₀ the target's
 * output on the clean image ('exp').
 */
function outputFunction(split: Split, target: ResolvedTarget, output: ExactOutput): (out: Tensor) => Tensor {
  const t = output === 'softmax' ? resolveTarget({ class: target.classIndex, output: 'probability' }, split.output, 0) : target;
  const scores = (out: Tensor): Tensor => targetOutputs(out, Array.from({ length: out.shape[0]! }, () => t));
  if (output !== 'exp') return (out) => sum(scores(out));
  const s0 = noGrad(() => scores(split.output).data[0]!);
  return (out) => sum(exp(sub(scores(out), s0)));
}

/** The target scores and softmax probabilities of the explained classes, per image. */
export function targetScores(ctx: CamContext): { scores: number[]; probabilities: Array<number | null> } {
  return scoresOf(ctx.split.output, ctx.targets);
}

/**
 * Target outputs ({@link targetOutputs}: the score, the probability or the custom function's
 * value, as each target says) and softmax probabilities of the explained classes, from a model
 * output [N, C] (no graph).
 */
export function scoresOf(out: Tensor, targets: readonly ResolvedTarget[]): { scores: number[]; probabilities: Array<number | null> } {
  const c = out.shape[1]!;
  return noGrad(() => {
    const probs = softmax(out, -1);
    return {
      scores: Array.from(targetOutputs(out, targets).data),
      probabilities: targets.map((t, i) => (t.classIndex < 0 ? null : probs.data[i * c + t.classIndex]!)), // a custom target names no class
    };
  });
}
