/**
 * The derivative terms d1, d2, d3 of every block's attention for Grad-CAM++ rollout: closed form
 * or exact, at the clean input or averaged over noisy copies (SmoothGrad-style).
 */
import type { Module } from '../../nn/module.js';
import { fail } from '../../tensor/errors.js';
import { add, div, mul } from '../../tensor/elementwise.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ExactOptions } from '../gradients.js';
import { checkNoise, noisyCopy, type NoiseOptions } from '../noise.js';
import type { ResolvedTarget, Target } from '../target.js';
import { attentionDiagonals, attentionGradients, attentionLayers, reachingRows } from './capture.js';
import type { AttentionTerms } from './rollout.js';

export interface AttentionTermsOptions {
  target?: Target | readonly Target[];
  /** The true diagonals of Y (true, or options choosing Y and the batch size) instead of g², g³. */
  exact?: boolean | ExactOptions;
  /** Average the terms over noisy copies of the input (D1, D2, D3); absent: the clean input only. */
  smooth?: NoiseOptions;
  /**
   * Exact mode: which diagonals are skipped (left 0). 'score': the attention rows that cannot reach
   * the score ({@link reachingRows}), where they are 0 anyway, so the terms are the same;
   * 'map' (default): also the entries with d1 ≤ 0, whose term α·ReLU(d1)·A is 0 whatever their
   * diagonals, so the rollout is the same while d2, d3 (and α) there are not computed; when
   * smoothing, d1 differs per noisy copy, and 'map' prunes as 'score' does. 'none': every entry.
   */
  prune?: RolloutPruning;
}

/** Which exact diagonals Grad-CAM++ rollout skips (see AttentionTermsOptions.prune). */
export type RolloutPruning = 'none' | 'score' | 'map';

export interface AttentionTermsResult {
  /** The clean input's attention A_l per block. */
  attentions: Tensor[];
  /** d1, d2, d3 per block: g, g², g³ or the exact diagonals; noise means D1, D2, D3 when smoothed. */
  terms: AttentionTerms[];
  /** The clean input's output and the targets resolved on it. */
  output: Tensor;
  targets: ResolvedTarget[];
  /** How the terms were obtained (for traces and reports). */
  derivatives: string;
}

/**
 * Per-block terms at one input: (g, g², g³) from one backward pass, or the exact diagonals (of the
 * rows given per block, null: all; only where d1 > 0 with `positiveOnly`).
 */
function termsAt(
  model: Module, input: Tensor, layers: readonly string[], targets: readonly ResolvedTarget[], exact: ExactOptions | null, grads: readonly Tensor[] | null,
  rows: ReadonlyArray<readonly number[] | null>, positiveOnly: boolean,
): AttentionTerms[] {
  if (exact !== null) return layers.map((layer, l) => attentionDiagonals(model, input, layer, targets, exact, rows[l], positiveOnly));
  const g = grads ?? attentionGradients(model, input, 'predicted', targets).grads;
  return g.map((d1) => {
    const d2 = mul(d1, d1);
    return { d1, d2, d3: mul(d2, d1) };
  });
}

/**
 * d1, d2, d3 for every block. Closed form: d1 = g = ∂S/∂A_l, d2 = g², d3 = g³. Exact: d1 = ∂Y/∂A_l
 * and the diagonals ∂²Y/∂A_e², ∂³Y/∂A_e³ (Y = exp(S − S₀) by default, S₀ the score at the input
 * where they are taken). Smoothed (Smooth Grad-CAM++, Omeiza et al. 2019): for noisy copies
 * x_m = x + N(0, σ²), D_k = (1/n) Σ_m d_k(x_m), with the classes fixed on the clean image; the
 * attention returned is always the clean one.
 */
export function attentionTerms(model: Module, input: Tensor, opts: AttentionTermsOptions = {}): AttentionTermsResult {
  const layers = attentionLayers(model);
  const prune = opts.prune ?? 'map';
  if (prune !== 'none' && prune !== 'score' && prune !== 'map') fail('rollout', `prune must be 'none', 'score' or 'map', got '${String(prune)}'`);
  const rows = prune === 'none' ? layers.map(() => null) : reachingRows(model, layers);
  const clean = attentionGradients(model, input, opts.target ?? 'predicted');
  const exact = opts.exact ? (opts.exact === true ? {} : opts.exact) : null;
  const how = exact === null ? 'closed form (g, g², g³)' : `exact diagonals of Y = ${describeOutput(exact)}`;
  const base = { attentions: clean.attentions, output: clean.output, targets: clean.targets };
  if (opts.smooth === undefined) {
    const positiveOnly = exact !== null && prune === 'map';
    const note = positiveOnly ? ' where ∂Y/∂A > 0 (elsewhere ReLU zeroes the term; d2, d3, α left 0)' : '';
    return { ...base, terms: termsAt(model, input, layers, clean.targets, exact, clean.grads, rows, positiveOnly), derivatives: how + note };
  }
  const { samples, noise, rng, scale } = checkNoise('smoothed rollout', opts.smooth);
  let sums: AttentionTerms[] | null = null;
  for (let m = 0; m < samples; m++) {
    const t = termsAt(model, noisyCopy(input, noise, scale, rng), layers, clean.targets, exact, null, rows, false);
    sums = sums === null ? t : sums.map((s, l) => ({ d1: add(s.d1, t[l]!.d1), d2: add(s.d2, t[l]!.d2), d3: add(s.d3, t[l]!.d3) }));
  }
  const terms = sums!.map((s) => ({ d1: div(s.d1, samples), d2: div(s.d2, samples), d3: div(s.d3, samples) }));
  return { ...base, terms, derivatives: `${how}, means over ${samples} noisy samples` };
}

function describeOutput(o: ExactOptions): string {
  const y = o.output ?? 'exp';
  return y === 'exp' ? 'exp(S − S0)' : y === 'softmax' ? 'softmax probability' : 'S';
}
