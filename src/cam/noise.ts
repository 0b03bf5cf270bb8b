import * as K from '../tensor/index.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

/** Noisy copies per image when `samples` is not given (SmoothGrad's and Smooth Grad-CAM++'s n). */
export const DEFAULT_NOISE_SAMPLES = 25;
/** The noise level when `noise` is not given: σ = 0.15 · (max x − min x), SmoothGrad's 15%. */
export const DEFAULT_NOISE_LEVEL = 0.15;

export interface NoiseOptions {
  /** Number of noisy copies n (default {@link DEFAULT_NOISE_SAMPLES}). */
  samples?: number;
  /** Noise level: σ = noise · (max x − min x) of each image (default {@link DEFAULT_NOISE_LEVEL}), or σ = noise with 'absolute'. */
  noise?: number;
  /** 'range' (default): σ relative to each image's value range, as SmoothGrad; 'absolute': σ = noise. */
  noiseScale?: 'range' | 'absolute';
  /** Seed of the noise (default 0): the same seed gives the same result. */
  seed?: number;
}

/**
 * Validates the noise options of a smoothed method `op` and applies the defaults (n = 25,
 * level 0.15, σ relative to the image's range, seed 0); returns them with the seeded generator.
 */
export function checkNoise(op: string, opts: NoiseOptions): { samples: number; noise: number; rng: Rng; scale: 'range' | 'absolute' } {
  const samples = opts.samples ?? DEFAULT_NOISE_SAMPLES;
  const noise = opts.noise ?? DEFAULT_NOISE_LEVEL;
  if (!Number.isInteger(samples) || samples < 1) fail(op, `samples must be a positive integer, got ${samples}`);
  if (!(noise >= 0) || !Number.isFinite(noise)) fail(op, `noise must be a finite number >= 0, got ${noise}`);
  const scale = opts.noiseScale ?? 'range';
  if (scale !== 'range' && scale !== 'absolute') fail(op, `noiseScale must be 'range' or 'absolute', got '${String(scale)}'`);
  return { samples, noise, rng: new Rng(opts.seed ?? 0), scale };
}

/** x + N(0, σ²) with σ per image (σ = level·(max − min) of that image, or level). */
export function noisyCopy(x: Tensor, level: number, scale: 'range' | 'absolute', rng: Rng): Tensor {
  const out = x.data.slice();
  const n = x.shape[0]!;
  const per = x.size / n;
  for (let i = 0; i < n; i++) {
    let sigma = level;
    if (scale === 'range') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = i * per; j < (i + 1) * per; j++) {
        const v = x.data[j]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      sigma = level * (hi - lo);
    }
    if (sigma === 0) continue;
    for (let j = i * per; j < (i + 1) * per; j++) out[j] = out[j]! + sigma * rng.normal();
  }
  return new Tensor(out, x.shape);
}

/** Noise given by the caller: ε_m for every sample m, as a list or as a function of m (0-based). */
export type GivenNoise = readonly Tensor[] | ((m: number) => Tensor);

export interface GivenNoiseOptions {
  /**
   * The noise itself instead of drawing it: x_m = x + ε_m, each ε_m of the input's shape, so a
   * run of another library can be reproduced sample for sample. `samples` defaults to the list's
   * length (to {@link DEFAULT_NOISE_SAMPLES} for a function); `noise`, `noiseScale` and `seed` do
   * not apply and are an error with it.
   */
  noiseTensors?: GivenNoise;
}

/**
 * The noisy inputs of a smoothed method `op`: `samples` and `at(m)` = x_m, either x + N(0, σ²)
 * drawn from the seeded generator (call `at` in order m = 0, 1, ...) or x + ε_m from `noiseTensors`.
 */
export function noisyInputs(op: string, input: Tensor, opts: NoiseOptions & GivenNoiseOptions): { samples: number; at: (m: number) => Tensor } {
  const given = opts.noiseTensors;
  if (given === undefined) {
    const { samples, noise, rng, scale } = checkNoise(op, opts);
    return { samples, at: () => noisyCopy(input, noise, scale, rng) };
  }
  const drawn = (['noise', 'noiseScale', 'seed'] as const).filter((k) => opts[k] !== undefined);
  if (drawn.length > 0) fail(op, `noiseTensors replaces ${drawn.join(', ')}: give the noise or how to draw it, not both`);
  const samples = opts.samples ?? (typeof given === 'function' ? DEFAULT_NOISE_SAMPLES : given.length);
  if (!Number.isInteger(samples) || samples < 1) fail(op, `samples must be a positive integer, got ${samples}`);
  if (typeof given !== 'function' && given.length !== samples) fail(op, `samples is ${samples} but noiseTensors holds ${given.length} tensors`);
  return {
    samples,
    at: (m) => {
      const eps = typeof given === 'function' ? given(m) : given[m]!;
      if (eps.ndim !== input.ndim || eps.shape.some((d, i) => d !== input.shape[i])) {
        fail(op, `noise tensor ${m} has shape ${shapeStr(eps.shape)}, the input ${shapeStr(input.shape)}`);
      }
      return K.add(input, eps);
    },
  };
}
