import { fail } from '../../tensor/errors.js';
import type { BaselineKind, PerturbationSpace } from '../metrics.js';

/** Noisy samples of the stochastic methods in an evaluation (fewer than explain's default: N images × methods). */
export const EVAL_NOISE_SAMPLES = 10;
/** Images per batch: the deterministic methods explain a batch at once, and every metric pass runs per batch. Shards are whole batches. */
export const EVAL_BATCH_SIZE = 8;
/** Deletion/insertion steps. */
export const EVAL_STEPS = 16;
/** Images (the first ones) that get deletion/insertion curves and stability: the expensive metrics. */
export const EVAL_CURVE_IMAGES = 32;
export const EVAL_STABILITY_IMAGES = 16;
/** σ of the two input noises of the stability metric, in [0,1] pixel units. */
export const EVAL_STABILITY_NOISE = 0.05;
/** Instance-coverage thresholds. */
export const INSTANCE_THRESHOLDS: readonly number[] = [0.25, 0.5, 0.75];
/** Drops (in percentage points) closer than this tie in Win %, so maps equal up to rounding tie. */
export const WIN_TOLERANCE = 1e-6;

/** How `evaluate` scores the methods (every field optional; defaults above). */
export interface EvalSettings {
  /** Explain each image's predicted class (default) or its label. */
  explained?: 'predicted' | 'label';
  /** CAM layer of every CAM method (default: the model's default layer on image 0). */
  layer?: string;
  /** Noisy samples of the stochastic methods (default {@link EVAL_NOISE_SAMPLES}). */
  samples?: number;
  /** Deletion/insertion steps (default {@link EVAL_STEPS}). */
  steps?: number;
  /** Both curves' baseline, or one each (default RISE's: zero for deletion, blur for insertion). */
  baseline?: BaselineKind | { deletion: BaselineKind; insertion: BaselineKind };
  /** Where masking happens (default 'pixel': [0,1] pixels before normalization). */
  space?: PerturbationSpace;
  /** σ of the stability metric's input noises (default {@link EVAL_STABILITY_NOISE}). */
  stabilityNoise?: number;
  /** Deletion/insertion curves on the first N images (default {@link EVAL_CURVE_IMAGES}). */
  curveImages?: number;
  /** Stability on the first N images (default {@link EVAL_STABILITY_IMAGES}). */
  stabilityImages?: number;
  /** Seed of every noise (default 0): same settings, same numbers. */
  seed?: number;
  /** Keep the maps of the first N images (for pictures; default 0). */
  examples?: number;
}

/** The settings an evaluation ran with, every default filled in (as reports show them). */
export interface ResolvedEvalSettings {
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
}

function count(name: string, v: number | undefined, def: number, images: number): number {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < 0) fail('evaluate', `${name} must be a non-negative integer, got ${n}`);
  return Math.min(n, images);
}

/** Checks the settings against a data set of `images` images of `pixels` pixels and fills in the defaults. */
export function resolveSettings(s: EvalSettings, images: number, pixels: number): ResolvedEvalSettings {
  const explained = s.explained ?? 'predicted';
  if (explained !== 'predicted' && explained !== 'label') fail('evaluate', `explained must be 'predicted' or 'label', got '${String(explained)}'`);
  const samples = s.samples ?? EVAL_NOISE_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) fail('evaluate', `samples must be a positive integer, got ${samples}`);
  const steps = s.steps ?? EVAL_STEPS;
  if (!Number.isInteger(steps) || steps < 1 || steps > pixels) fail('evaluate', `steps must be an integer in [1, ${pixels}] (the pixels of an image), got ${steps}`);
  const seed = s.seed ?? 0;
  if (!Number.isSafeInteger(seed)) fail('evaluate', `seed must be a safe integer, got ${seed}`);
  const stabilityNoise = s.stabilityNoise ?? EVAL_STABILITY_NOISE;
  if (!(Number.isFinite(stabilityNoise) && stabilityNoise >= 0)) fail('evaluate', `stabilityNoise must be a finite number >= 0, got ${stabilityNoise}`);
  const b = s.baseline ?? { deletion: 'zero', insertion: 'blur' };
  const baseline = typeof b === 'string' ? { deletion: b, insertion: b } : { deletion: b.deletion, insertion: b.insertion };
  for (const k of [baseline.deletion, baseline.insertion]) {
    if (k !== 'zero' && k !== 'mean' && k !== 'blur') fail('evaluate', `baseline must be 'zero', 'mean' or 'blur', got '${String(k)}'`);
  }
  const space = s.space ?? 'pixel';
  if (space !== 'pixel' && space !== 'normalized') fail('evaluate', `space must be 'pixel' or 'normalized', got '${String(space)}'`);
  return {
    explained, samples, steps, baseline, space, stabilityNoise,
    stabilityImages: count('stabilityImages', s.stabilityImages, EVAL_STABILITY_IMAGES, images),
    curveImages: count('curveImages', s.curveImages, EVAL_CURVE_IMAGES, images),
    seed, thresholds: [...INSTANCE_THRESHOLDS],
  };
}
