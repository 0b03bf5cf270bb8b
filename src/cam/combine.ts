/**
 * Maps combined from several runs of one CAM method, as pytorch-grad-cam offers them for every
 * method: several target layers (`target_layers=[...]`, mean aggregation) and test-time
 * augmentation (`aug_smooth=True`). Both average maps that are already upsampled and min-max
 * normalized, then normalize the mean again.
 */
import * as K from '../tensor/index.js';
import { infer } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { CamTargetOptions } from './gradients.js';
import { scoresOf } from './gradients.js';
import { minMaxNormalize } from './postprocess.js';
import type { CamPart, CamResult } from './result.js';
import { fixedTargets, targetsFor } from './target.js';

/** pytorch-grad-cam's default test-time augmentation factors (ttach `Multiply(factors=[0.9, 1, 1.1])`). */
export const AUG_SMOOTH_FACTORS: readonly number[] = [0.9, 1, 1.1];

export interface AugSmoothOptions {
  /** Run on the horizontally mirrored input too (default true, ttach's `HorizontalFlip`). */
  flip?: boolean;
  /** Multiply the model input by each factor (default {@link AUG_SMOOTH_FACTORS}). */
  factors?: readonly number[];
}

export interface CombineOptions {
  /** The target layer, or several: their normalized maps are averaged (pytorch-grad-cam's multi-layer mean). */
  layer?: string | readonly string[];
  /** Test-time augmentation: the mean of the maps of flipped and scaled inputs, each mapped back (pytorch-grad-cam's `aug_smooth`). */
  augSmooth?: boolean | AugSmoothOptions;
}

/** A CAM method's options with {@link CombineOptions} in place of its single layer. */
export type Combined<O extends CamTargetOptions> = Omit<O, 'layer'> & CombineOptions;

type CamRun<O> = (model: Module, input: Tensor, opts?: O) => CamResult;

/**
 * A CAM method that also takes several layers and `augSmooth`: with one layer and no
 * augmentation it is the method itself; otherwise see {@link multiLayerCam} and
 * {@link augmentationSmoothed}. Augmentation is the outer loop, as in pytorch-grad-cam.
 */
export function combined<O extends CamTargetOptions>(run: CamRun<O>): CamRun<Combined<O>> {
  return (model, input, opts = {} as Combined<O>) => {
    const { layer, augSmooth, ...rest } = opts;
    const one = (x: Tensor, target: CamTargetOptions['target']): CamResult => {
      const base = { ...rest, ...(target === undefined ? {} : { target }) } as unknown as O;
      if (layer === undefined || typeof layer === 'string') return run(model, x, layer === undefined ? base : { ...base, layer });
      return multiLayerCam(run, model, x, layer, base);
    };
    if (augSmooth === undefined || augSmooth === false) return one(input, rest.target);
    return augmentationSmoothed(model, input, augSmooth === true ? {} : augSmooth, rest.target, one);
  };
}

/**
 * Several target layers (pytorch-grad-cam's `aggregate_multi_layers`): each layer's map is
 * computed, upsampled to the input and min-max normalized as usual, and the result is the
 * min-max normalized mean of those maps, (1/L) Σ_l upsampled_l. `parts` holds each layer's result.
 */
export function multiLayerCam<O extends CamTargetOptions>(run: CamRun<O>, model: Module, input: Tensor, layers: readonly string[], opts: O): CamResult {
  if (layers.length === 0) fail('cam', 'layer: an empty list of layers; name at least one');
  if (new Set(layers).size !== layers.length) fail('cam', `layer: the list ${layers.join(', ')} names a layer twice`);
  const parts = layers.map((l) => ({ label: l, result: run(model, input, { ...opts, layer: l }) }));
  const first = parts[0]!.result;
  return average(parts, parts.map((p) => p.result.upsampled), { ...first, layer: parts.map((p) => p.result.layer).join('+') }, 'multi-layer mean');
}

/**
 * Test-time augmentation (pytorch-grad-cam's `aug_smooth`, with ttach's `HorizontalFlip` and
 * `Multiply`): for every flip f ∈ {no, yes} and factor s, the map of s·f(x) is computed and
 * flipped back; the result is the min-max normalized mean of those maps. The target is resolved on
 * the clean input and kept for every copy (pytorch-grad-cam re-picks the predicted class of each
 * copy when no target is given). Multi-layer runs happen inside each augmentation.
 */
export function augmentationSmoothed(
  model: Module, input: Tensor, opts: AugSmoothOptions, target: CamTargetOptions['target'],
  run: (x: Tensor, target: CamTargetOptions['target']) => CamResult,
): CamResult {
  const factors = opts.factors ?? AUG_SMOOTH_FACTORS;
  if (factors.length === 0 || !factors.every((f) => Number.isFinite(f) && f > 0)) fail('cam', `augSmooth: factors must be positive numbers, got [${factors.join(', ')}]`);
  const clean = infer(model, input);
  const resolved = targetsFor(target, clean);
  const fixed = fixedTargets(resolved);
  const parts: CamPart[] = [];
  const maps: Tensor[] = [];
  for (const flip of opts.flip === false ? [false] : [false, true]) {
    for (const s of factors) {
      const x = K.mul(flip ? flipWidth(input) : input, s);
      const result = run(x, fixed);
      parts.push({ label: `${flip ? 'flip, ' : ''}×${s}`, result });
      maps.push(flip ? flipWidth(result.upsampled) : result.upsampled);
    }
  }
  const { scores, probabilities } = scoresOf(clean, resolved);
  return average(parts, maps, { ...parts[0]!.result, scores, probabilities }, 'augmentation mean');
}

/** The combined result: the mean of `maps` ([N,H,W] each), min-max normalized; fields from `base`. */
function average(parts: CamPart[], maps: readonly Tensor[], base: CamResult, what: string): CamResult {
  const mean = K.div(maps.reduce((s, m) => K.add(s, m)), maps.length);
  const { maps: upsampled, flat } = minMaxNormalize(mean, `${base.method} ${what}`);
  return {
    method: base.method, layer: base.layer, classes: base.classes, scores: base.scores, probabilities: base.probabilities,
    map: mean, upsampled, weights: null, flat, parts,
  };
}

/** The tensor mirrored along its last axis (width). */
export function flipWidth(t: Tensor): Tensor {
  const w = t.shape[t.ndim - 1]!;
  const out = t.data.slice();
  for (let row = 0; row < t.size; row += w) for (let j = 0; j < w; j++) out[row + j] = t.data[row + w - 1 - j]!;
  return new Tensor(out, t.shape);
}
